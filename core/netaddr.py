"""Whether a listening address is reachable from this host only."""

from __future__ import annotations

import ipaddress
import socket


def is_loopback(host: str) -> bool | None:
    """True when every address `host` resolves to is loopback; None when it does not resolve."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return None
    return all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)
