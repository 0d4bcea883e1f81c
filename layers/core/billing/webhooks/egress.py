"""Where webhooks may be sent: the egress policy shared by saving an endpoint and sending to it.

URLs: https, and every address of the host public (`address_allowed`), in both modes, checked
when an endpoint is saved and again by the deliverer when it connects (DNS may change meanwhile).
The one exception is this machine (`localhost`, `127.0.0.0/8`, `::1`, over http or https), in test
mode, and only where the local stack or the tests enable it (`LOOPBACK_SETTING`): a deployed
stack never sets it (tests/security/test_template_security.py reads the template), since
deployed, 127.0.0.1 is the Lambda runtime's own API.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from billing.kernel.errors import InvalidRequest

MAX_URL_LENGTH = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Set to "1" by the local stack (local/dev.py) and the tests (tests/conftest.py), never by template.yaml.
LOOPBACK_SETTING = "VINR_LOCAL_LOOPBACK_URLS"
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
def loopback_enabled() -> bool:
    """Whether this process runs where loopback URLs are enabled (the local stack, the tests)."""
    return os.environ.get(LOOPBACK_SETTING, "") == "1"


def loopback_allowed(livemode: bool) -> bool:
    """Whether a URL of this mode may point to this machine: test mode, where enabled."""
    return not livemode and loopback_enabled()


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


def is_loopback(ip: str) -> bool:
    """Whether the address is this machine's (127.0.0.0/8, ::1, or an IPv4-mapped form of those)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def address_reachable(ip: str, allow_loopback: bool) -> bool:
    """Whether a webhook may be sent to this address: a public one, or this machine's when allowed."""
    return address_allowed(ip) or (allow_loopback and is_loopback(ip))


def _url_error(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="url", code="url_invalid")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, livemode: bool, *, resolve: Resolver = system_resolve) -> str:
    """The URL if events may be delivered to it, else an InvalidRequest naming `url`.

    Absolute https, at most 2048 characters, no user name or password, no fragment, no
    whitespace or control characters; the host an IP literal or a name that resolves, and every
    address public (`address_allowed`), in either mode. Where loopback is enabled (the local
    stack, the tests), a test-mode URL may also be http or https to localhost, 127.0.0.1 or [::1].
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
    loopback = loopback_allowed(livemode)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise _url_error("url must be an absolute https URL.")
    if parts.scheme == "http" and not (loopback and host in LOOPBACK_HOSTS):
        where = "in live mode" if livemode else "in a deployed stack"
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
    if loopback and host in LOOPBACK_HOSTS:
        return url
    if literal is not None:
        if not address_allowed(host):
            raise _url_error("url may not point to a private, loopback or reserved address.")
        return url
    try:
        answers = resolve(host, port or 443)
        addresses = {str(answer[4][0]) for answer in answers}
    except (OSError, UnicodeError, ValueError, IndexError, TypeError):
        addresses = set()
    if not addresses:
        raise _url_error(f"url's host '{host}' does not resolve.")
    if not all(address_reachable(address, loopback) for address in addresses):
        raise _url_error(f"url's host '{host}' resolves to a private, loopback or reserved address.")
    return url
