"""Which network addresses a photo may be fetched from: public ones, and those an operator allows.

A request to fetch a URL must not become a way into the service's own network (server-side request
forgery): loopback, private, link-local (cloud metadata at 169.254.169.254), multicast, unspecified and
every other range that is not globally reachable is refused unless IMAGE_URL_ALLOWED_NETWORKS lists it.
An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, the NAT64 well-known prefix) is judged by
the IPv4 address it reaches.
"""

import ipaddress
from collections.abc import Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16) or NAT64."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def address_class(address: IPAddress) -> str | None:
    """Why an address is not fetched from (`loopback`, `private`, `link_local`, `multicast`,
    `unspecified`, `reserved`: not globally reachable), or None for a public address."""
    reached = embedded_ipv4(address) or address
    if reached.is_unspecified:
        return "unspecified"
    if reached.is_loopback:
        return "loopback"
    if reached.is_link_local:
        return "link_local"
    if reached.is_multicast:
        return "multicast"
    if reached.is_reserved:
        return "reserved"
    if reached.is_private:
        return "private"
    if not reached.is_global:
        return "reserved"
    return None


def refused_class(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """`address_class`, unless the address (or the IPv4 address it carries) is in an allowed network."""
    reached = embedded_ipv4(address)
    if any(candidate in network for network in allowed for candidate in (address, reached) if candidate):
        return None
    return address_class(address)
