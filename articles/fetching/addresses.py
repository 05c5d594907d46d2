"""Which IP addresses a fetch may connect to, and name resolution that returns only vetted ones.

A feed URL is chosen by a user, so it can point anywhere: at the database on loopback, a router on the LAN,
or a cloud metadata service on 169.254.169.254. Only globally routable unicast addresses are allowed unless
the policy says otherwise. Addresses that carry an IPv4 address inside an IPv6 one (IPv4-mapped, 6to4,
NAT64) are judged by the IPv4 address they lead to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from articles.fetching.errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses it resolves to, as strings, in the order to try them.
Resolver = Callable[[str, int], list[str]]

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Special-purpose ranges that some Python versions still call global: no feed is served from them.
_ALSO_RESERVED = [ipaddress.ip_network(n) for n in ("192.0.0.0/24", "3fff::/20", "5f00::/16")]


def address_block_reason(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused ("loopback", "private", ...), or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_block_reason(ip.ipv4_mapped)
        if ip in _NAT64:
            # DNS64 networks reach public IPv4 hosts this way; judge the host it translates to.
            return address_block_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and address_block_reason(ip.sixtofour) is not None:
            return address_block_reason(ip.sixtofour)
    if ip in _METADATA:
        return "cloud metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved or any(ip.version == n.version and ip in n for n in _ALSO_RESERVED):
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def parse_ip(text: str) -> IPAddress | None:
    """The address in `text` (brackets and an IPv6 zone allowed), or None when it is a host name."""
    text = text.strip().strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """allow_private turns every check off (tests, the demo); allow_networks lets chosen networks through."""

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, *, allow_private: bool, allow_networks: Iterable[str | IPNetwork] = ()) -> AddressPolicy:
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        return cls(allow_private=bool(allow_private), allow_networks=networks)

    def refusal(self, ip: IPAddress) -> str | None:
        if self.allow_private:
            return None
        if any(ip.version == net.version and ip in net for net in self.allow_networks):
            return None
        return address_block_reason(ip)

    def check(self, host: str, ip: IPAddress) -> None:
        reason = self.refusal(ip)
        if reason is not None:
            shown = host if parse_ip(host) == ip else f"{host} ({ip})"
            raise BlockedAddressError(f"Refused to connect to {shown}: it is a {reason} address.")


def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo, keeping the system's preferred order and dropping duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def vetted_addresses(host: str, addresses: Iterable[str], policy: AddressPolicy) -> list[str]:
    """The addresses to connect to, all checked; one refused address refuses the host.

    A host that answers with a public and a private address is either misconfigured or trying to
    trick us into the private one, so it gets nothing.
    """
    result: list[str] = []
    for text in addresses:
        ip = parse_ip(text)
        if ip is None:
            raise BlockedAddressError(f"Refused to connect to {host}: it resolved to an unusable address.")
        policy.check(host, ip)
        result.append(str(ip))
    return result
