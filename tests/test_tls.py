"""TLS is always verified: a real HTTPS server on loopback with a certificate from a test CA
(trustme). Unknown CA: refused at once with what to do; the CA as `ca_bundle`: accepted; and
no setting or config turns verification off."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.config import load_settings
from core.errors import ConfigError, DuviError
from core.http import HttpService, RetryPolicy, ServiceConfig, service_config
from tests.served import free_port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_url(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))

    async def hello(_request):  # type: ignore[no-untyped-def]
        return JSONResponse({"ok": True})

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/", hello)]),
            host="127.0.0.1",
            port=port,
            ssl_certfile=str(cert_file),
            ssl_keyfile=str(key_file),
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.02):  # uvicorn sets `started` once it listens
        if server.started:
            started.set()
        elif not thread.is_alive():
            raise RuntimeError("the HTTPS test server did not start")
    yield f"https://localhost:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def get(config: ServiceConfig) -> int:
    service = HttpService(config)
    try:
        return (await service.request("GET", "/")).status_code
    finally:
        await service.aclose()


async def test_an_unknown_ca_is_refused_at_once_with_the_remedy(https_url: str) -> None:
    config = ServiceConfig(system="visma", base_url=https_url, retry=RetryPolicy(max_attempts=6))
    service = HttpService(config)
    with pytest.raises(DuviError) as exc:
        await service.request("GET", "/")
    await service.aclose()
    assert "TLS certificate of localhost was not accepted" in exc.value.message
    assert "set ca_bundle" in exc.value.remedy and "cannot be turned off" in exc.value.remedy
    assert service.stats["retries"] == 0  # a certificate does not get better by retrying


async def test_the_ca_bundle_setting_trusts_a_company_ca(
    https_url: str, ca: trustme.CA, tmp_path
) -> None:
    bundle = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings = load_settings(ca_bundle=bundle)
    assert await get(service_config("visma", https_url, settings)) == 200


async def test_verification_cannot_be_turned_off(https_url: str) -> None:
    with pytest.raises(ConfigError):
        load_settings(verify=False)  # no such setting
    with pytest.raises(ConfigError):
        load_settings(tls_verify=False)
    with pytest.raises(TypeError):
        ServiceConfig(system="visma", base_url=https_url, verify=False)  # type: ignore[call-arg]


def test_an_unreadable_ca_bundle_is_a_config_error(tmp_path) -> None:
    from core.http import tls_context

    with pytest.raises(ConfigError) as exc:
        tls_context(str(tmp_path / "missing.pem"))
    assert "cannot use the CA bundle" in exc.value.message


def test_a_tls_context_is_made_once_per_bundle_and_again_once_it_changed(
    ca: trustme.CA, tmp_path
) -> None:
    """Loading the system's certificates costs tens of milliseconds of CPU, and a runner opens
    four clients a department: one context serves them all, until the bundle changes."""
    from core.http import tls_context

    assert tls_context(None) is tls_context(None)
    bundle = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    first = tls_context(str(bundle))
    assert first is tls_context(str(bundle)) and first is not tls_context(None)
    bundle.write_bytes(ca.cert_pem.bytes() + trustme.CA().cert_pem.bytes())  # one CA more
    assert tls_context(str(bundle)) is not first
