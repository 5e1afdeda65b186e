"""`duvi sandbox serve`: the sandbox on a loopback port, for manual and load testing."""

from __future__ import annotations

import uvicorn

from core.errors import ConfigError
from core.netaddr import is_loopback
from core.sandbox.faults import Faults
from core.sandbox.world import DUELL_CLIENT_NUMBER, build_sandbox, sandbox_credentials


def check_loopback(host: str) -> None:
    loopback = is_loopback(host)
    if loopback is None:
        raise ConfigError(f"cannot resolve {host!r}", "use 127.0.0.1")
    if not loopback:
        raise ConfigError(
            f"{host} is not a loopback address: the sandbox has fixed, published credentials",
            "serve it on 127.0.0.1 (reach it from elsewhere through `ssh -L`)",
        )


def environment_lines(host: str, port: int, seed: int) -> list[str]:
    creds = sandbox_credentials(seed)
    base = f"http://{host}:{port}"
    lines = [
        "# Point duvi at this sandbox as if it were the real services:",
        "export DUVI_SANDBOX=false",
        f"export DUVI_VISMA_BASE_URL={base}/visma",
        f"export DUVI_CONNECT_BASE_URL={base}/connect",
        f"export DUVI_DUELL_BASE_URL={base}/duell/v1",
        f"# DUELL: client_number={DUELL_CLIENT_NUMBER} client_token=duell-api-token-{seed}-sandbox",
        "# Visma integration clients per department (enter them in the console's setup):",
    ]
    for c in creds:
        lines.append(
            f"#   department {c.department_id} {c.name}: client_id={c.visma_client_id} "
            f"client_secret={c.visma_client_secret} tenant_id={c.visma_tenant_id}"
        )
    return lines


def scale_environment_lines(host: str, port: int, seed: int, scale: tuple[int, int]) -> list[str]:
    """For the scale world: where it is, and how to reach its customers' credentials (too
    many to print: the world is made again from the seed)."""
    base = f"http://{host}:{port}"
    return [
        f"# The scale world of seed {seed}: {scale[0]} customers, {scale[1]} departments.",
        "export DUVI_SANDBOX=false",
        f"export DUVI_VISMA_BASE_URL={base}/visma",
        f"export DUVI_CONNECT_BASE_URL={base}/connect",
        f"export DUVI_DUELL_BASE_URL={base}/duell/v1",
        "# Each customer's DUELL client and Visma company: core.sandbox.scale_world."
        f"generate_scale({seed}, customers_n={scale[0]}, departments_n={scale[1]}) "
        "(bench/scale_bench.py sets them up).",
        f"# Request counts and 429s: GET {base}/sandbox/stats; "
        f"a new Z-report for every department: POST {base}/sandbox/close-day",
    ]


def serve(
    host: str,
    port: int,
    seed: int,
    faults: Faults,
    *,
    rate_limit: int = 15000,
    rate_window: float = 3600.0,
    products: int = 3000,
    customers: int = 1000,
    adversarial: bool = False,
    duell_bad_rows: bool = False,
    duell_waf: str = "",
    scale: tuple[int, int] | None = None,
    z_initial: int = 1,
    z_every: float = 0.0,
) -> None:
    """`scale`: (customers, departments) of the scale world (core.sandbox.scale_world) in
    place of the default one."""
    from core.sandbox.world import generate

    check_loopback(host)
    faults.in_process = False
    if scale is not None:
        from core.sandbox.scale_world import ZClock, build_scale_sandbox, generate_scale

        big = generate_scale(seed, customers_n=scale[0], departments_n=scale[1])
        sandbox = build_scale_sandbox(
            big,
            faults=faults,
            rate_limit=rate_limit,
            rate_window=rate_window,
            zclock=ZClock(z_initial, z_every),
        )
        lines = scale_environment_lines(host, port, seed, scale)
    else:
        world = generate(seed, products=products, customers=customers, adversarial=adversarial)
        sandbox, _ = build_sandbox(
            seed, faults=faults, rate_limit=rate_limit, rate_window=rate_window, world=world
        )
        lines = environment_lines(host, port, seed)
    state = sandbox.duell.state
    state.bad_rows = duell_bad_rows
    state.waf_blocked, state.waf_action = bool(duell_waf), duell_waf or "captcha"
    for line in lines:
        print(line, flush=True)
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning", access_log=False)
