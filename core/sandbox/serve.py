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
) -> None:
    from core.sandbox.world import generate

    check_loopback(host)
    faults.in_process = False
    world = generate(seed, products=products, customers=customers, adversarial=adversarial)
    sandbox, _ = build_sandbox(
        seed, faults=faults, rate_limit=rate_limit, rate_window=rate_window, world=world
    )
    state = sandbox.duell.state
    state.bad_rows = duell_bad_rows
    state.waf_blocked, state.waf_action = bool(duell_waf), duell_waf or "captcha"
    for line in environment_lines(host, port, seed):
        print(line, flush=True)
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning", access_log=False)
