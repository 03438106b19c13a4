"""Outbound targets (webhook receivers): only http(s) to public addresses.

The one place that decides whether the server may connect somewhere on a caller's
behalf. A URL is refused when its host is a non-canonical IPv4 form (`2130706433`,
`0x7f.1`, `0177.0.0.1`) or when any address it names or resolves to is loopback,
link-local, private, shared, unspecified, multicast or reserved (IPv4-mapped,
6to4 and Teredo IPv6 addresses are judged by the IPv4 address they carry).
`DANGJIAN_WEBHOOK_ALLOWED_TARGETS` lists host names and networks that are allowed
anyway (intranet receivers). Registration checks the URL; delivery resolves again,
checks, and connects to the checked address (redirects are never followed).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from app.config import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_SECONDS = 5.0


class TargetInvalid(ValueError):
    """Not an http(s) URL with a host."""


class TargetForbidden(ValueError):
    """The URL may not be connected to; the message says why."""


class TargetUnresolved(ValueError):
    """The URL's host name does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower-case name or address as written (IPv6 without brackets)
    port: int
    literal: Address | None  # the host, when it is an IP address


def parse(url: str) -> Target:
    """Syntax and literal-address checks (no DNS)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetInvalid(f"not a URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetInvalid("only http and https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetInvalid("no host")
    literal: Address | None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
        if _loose_ipv4(host):
            raise TargetForbidden(f"{host} is a non-canonical IPv4 address") from None
    return Target(scheme, host, port or (443 if scheme == "https" else 80), literal)


def _loose_ipv4(host: str) -> bool:
    """Whether the C resolver would read `host` as an IPv4 address (integer, hex, octal
    or short forms) though `ipaddress` does not: such hosts are refused outright."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _allowed(settings: Settings) -> tuple[set[str], list[Network]]:
    names: set[str] = set()
    networks: list[Network] = []
    for item in settings.webhook_allowed_targets.split(","):
        item = item.strip().lower()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.rstrip("."))
    return names, networks


def why_forbidden(address: Address) -> str | None:
    """Why the server must not connect to `address`, or None for a public address."""
    carried = _carried_ipv4(address)
    if carried is not None:
        return why_forbidden(carried)
    for attribute in (
        "is_unspecified",
        "is_loopback",
        "is_link_local",
        "is_multicast",
        "is_private",
        "is_reserved",
        "is_site_local",
    ):
        if getattr(address, attribute, False):
            return f"{address} is {attribute[3:].replace('_', '-')}"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _carried_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def check_address(settings: Settings, target: Target, address: Address) -> None:
    names, networks = _allowed(settings)
    if target.host.lower() in names:
        return
    if any(address in network for network in networks):
        return
    reason = why_forbidden(address)
    if reason is not None:
        raise TargetForbidden(reason)


async def resolve(target: Target) -> list[Address]:
    """The addresses the host names (its literal, or every address DNS gives)."""
    if target.literal is not None:
        return [target.literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM),
            RESOLVE_TIMEOUT_SECONDS,
        )
    except (OSError, TimeoutError) as exc:
        raise TargetUnresolved(f"{target.host} does not resolve: {exc}") from exc
    addresses: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetUnresolved(f"{target.host} does not resolve")
    return addresses


async def checked_addresses(settings: Settings, url: str) -> tuple[Target, list[Address]]:
    """The URL's target and its addresses, every one of them allowed; raises
    `TargetForbidden` (any address forbidden) or `TargetUnresolved`."""
    target = parse(url)
    addresses = await resolve(target)
    for address in addresses:
        check_address(settings, target, address)
    return target, addresses


def pinned(
    url: str, target: Target, address: Address
) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The request to `url` sent to the checked `address`: the URL with the address as
    its host, the original `Host` header, and TLS checked against the original name."""
    original = httpx.URL(url)
    headers = {"Host": original.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return original.copy_with(host=str(address)), headers, extensions
