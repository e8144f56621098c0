"""The client's network address behind trusted reverse proxies (no models, no settings).

Behind a reverse proxy every request comes from the proxy's address (REMOTE_ADDR); the
client's is in X-Forwarded-For, which each proxy appends to. Only the entries the trusted
proxies appended can be believed: the client may send any X-Forwarded-For of its own. So
the client is the right-most address that is not a trusted proxy, found walking the header
from the right, and only when the request came from a trusted proxy at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(name: str, values: Iterable[str]) -> tuple[Network, ...]:
    """`10.0.0.1`, `10.0.0.0/8`, `::1`… as networks; a bad value fails loudly at start."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks (10.0.0.2, 10.0.0.0/8), "
                f"got {value!r}") from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(meta: Mapping[str, Any], trusted: tuple[Network, ...]) -> str | None:
    """The client's address: REMOTE_ADDR, unless it is a trusted proxy; then the right-most
    X-Forwarded-For entry that is not a trusted proxy (or, if every entry is one, the
    left-most). A malformed entry where the client's address should be means a proxy did
    not append what it should: the last trusted hop is used, never a client's claim."""
    remote = _address(str(meta.get("REMOTE_ADDR") or ""))
    if remote is None:
        return None
    if not trusted or not any(remote in network for network in trusted):
        return str(remote)
    hop = remote
    for entry in reversed(str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        if not entry.strip():
            continue
        address = _address(entry)
        if address is None:
            return str(hop)
        hop = address
        if not any(address in network for network in trusted):
            return str(address)
    return str(hop)
