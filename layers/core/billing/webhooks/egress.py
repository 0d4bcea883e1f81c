"""Where webhooks may be sent: the egress policy shared by saving an endpoint and sending to it.

URLs: https (http only to this machine, in test mode). In live mode the host's addresses must
all be public (`address_allowed`), checked when an endpoint is saved and again by the deliverer
when it connects (DNS may change meanwhile).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from billing.kernel.errors import InvalidRequest

MAX_URL_LENGTH = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
Resolver = Callable[..., Sequence[tuple[Any, ...]]]
# A host written as numbers that is not a canonical IP literal (`2130706433`, `0x7f.1`, `127.1`):
# resolvers read those as addresses, each its own way; refused rather than guessed.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally reachable, though some Python versions' `is_global` says otherwise for parts of
# them: IETF protocol assignments, the deprecated 6to4 relay anycast, local-use NAT64.
_BLOCKED = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.88.99.0/24", "64:ff9b:1::/48"))


# ------------------------------------------------------------------ URLs and addresses
def system_resolve(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    """The system resolver, looked up at call time (so tests can stand in for it)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    blocked = any(address in network for network in _BLOCKED)
    return address.is_global and not (
        blocked
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or site_local
    )


def address_allowed(ip: str) -> bool:
    """Whether a webhook may be sent to this address: a public unicast one.

    Refused: private, loopback, link-local, reserved, multicast, unspecified, shared (CGNAT),
    site-local, and IPv6 forms of any of those IPv4 addresses (mapped, 6to4, NAT64). Not an
    address at all is refused too.
    """
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not _public(embedded):
            return False
        if address.teredo is not None and not all(_public(a) for a in address.teredo):
            return False
    return _public(address)


def _url_error(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="url", code="url_invalid")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, livemode: bool, *, resolve: Resolver = system_resolve) -> str:
    """The URL if events may be delivered to it, else an InvalidRequest naming `url`.

    Absolute https (http only to localhost/127.0.0.1/[::1], in test mode), at most 2048
    characters, no user name or password, no fragment, no whitespace or control characters.
    In live mode every address of the host must be public (`address_allowed`), and the host
    must resolve; test mode resolves nothing.
    """
    if not isinstance(url, str) or not url:
        raise _url_error("url must be an https URL.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(f"url is at most {MAX_URL_LENGTH} characters.", param="url", code="string_too_long")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise _url_error("url may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise _url_error("url is not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise _url_error("url must be an absolute https URL.")
    if parts.scheme == "http" and (livemode or host not in LOOPBACK_HOSTS):
        where = "in live mode" if livemode else "except to localhost, 127.0.0.1 or [::1]"
        raise _url_error(f"url must be an https URL (http is not allowed {where}).")
    if not host:
        raise _url_error("url needs a host.")
    if "@" in parts.netloc:
        raise _url_error("url may not contain a user name or password.")
    if "#" in url:
        raise _url_error("url may not contain a fragment (#…).")
    literal = _ip_literal(host)
    if literal is None and all(_NUMERIC_LABEL.fullmatch(label) for label in host.rstrip(".").split(".")):
        raise _url_error(f"url's host '{host}' is neither a name nor a standard IP address.")
    if not livemode:
        return url
    if literal is not None:
        if not address_allowed(host):
            raise _url_error("url may not point to a private, loopback or reserved address in live mode.")
        return url
    try:
        answers = resolve(host, port or 443)
        addresses = {str(answer[4][0]) for answer in answers}
    except (OSError, UnicodeError, ValueError, IndexError, TypeError):
        addresses = set()
    if not addresses:
        raise _url_error(f"url's host '{host}' does not resolve.")
    if not all(address_allowed(address) for address in addresses):
        raise _url_error(f"url's host '{host}' resolves to a private, loopback or reserved address.")
    return url
