"""The webhook egress policy without I/O: which addresses are public, which URLs may be sent to."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.kernel.errors import InvalidRequest
from billing.webhooks import egress

PRIVATE_V4 = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
]
PRIVATE_V6 = ["::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32", "100::/64"]
# Public blocks (documentation-free, allocated unicast space)
PUBLIC_V4 = ["1.0.0.0/8", "8.0.0.0/8", "52.0.0.0/8", "93.184.0.0/16", "151.101.0.0/16"]
PUBLIC_V6 = ["2606:4700::/32", "2a00:1450::/32", "2001:4860::/32"]


def addresses_in(blocks: list[str]) -> st.SearchStrategy[str]:
    """Any address of any of the blocks."""

    def pick(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> st.SearchStrategy[str]:
        first = int(network.network_address)
        return st.integers(first, first + network.num_addresses - 1).map(
            lambda n: str(ipaddress.ip_address(n) if network.version == 4 else ipaddress.IPv6Address(n))
        )

    return st.one_of(*(pick(ipaddress.ip_network(block)) for block in blocks))


def resolver(*addresses: str) -> Any:
    """A stand-in for getaddrinfo answering `addresses` (and noting what it was asked)."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int, *_: Any, **__: Any) -> Sequence[tuple[Any, ...]]:
        asked.append((host, port))
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def failing(*_: Any, **__: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def refused(url: Any, livemode: bool, resolve: Any = failing) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as raised:
        egress.check_url(url, livemode, resolve=resolve)
    assert raised.value.param == "url"
    return raised.value


class TestAddressAllowed:
    @given(addresses_in(PRIVATE_V4))
    def test_private_and_special_ipv4_are_refused(self, address: str) -> None:
        assert not egress.address_allowed(address)

    @given(addresses_in(PRIVATE_V4))
    def test_their_ipv6_forms_are_refused_too(self, address: str) -> None:
        # IPv4-mapped, 6to4 and NAT64 forms all reach the same IPv4 host
        v4 = int(ipaddress.IPv4Address(address))
        mapped = str(ipaddress.IPv6Address((0xFFFF << 32) | v4))
        sixtofour = str(ipaddress.IPv6Address((0x2002 << 112) | (v4 << 80) | 1))
        nat64 = str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | v4))
        assert not egress.address_allowed(mapped)
        assert not egress.address_allowed(sixtofour)
        assert not egress.address_allowed(nat64)

    @given(addresses_in(PRIVATE_V6))
    def test_private_and_special_ipv6_are_refused(self, address: str) -> None:
        assert not egress.address_allowed(address)

    @given(addresses_in(PUBLIC_V4 + PUBLIC_V6))
    def test_public_unicast_addresses_are_allowed(self, address: str) -> None:
        assert egress.address_allowed(address)

    @given(addresses_in(PUBLIC_V4))
    def test_a_public_ipv4_mapped_into_ipv6_is_allowed_only_as_it_is_public(self, address: str) -> None:
        # 6to4 of a public IPv4 is public space; the mapped form is not routable and stays refused
        v4 = int(ipaddress.IPv4Address(address))
        assert egress.address_allowed(str(ipaddress.IPv6Address((0x2002 << 112) | (v4 << 80) | 1)))
        assert not egress.address_allowed(str(ipaddress.IPv6Address((0xFFFF << 32) | v4)))

    @pytest.mark.parametrize("text", ["", "localhost", "example.com", "1.2.3", "999.1.1.1", "::g", "8.8.8.8/32"])
    def test_what_is_not_an_address_is_refused(self, text: str) -> None:
        assert not egress.address_allowed(text)

    def test_a_zone_index_does_not_hide_the_address(self) -> None:
        assert not egress.address_allowed("fe80::1%eth0")
        assert egress.address_allowed("2606:4700::1111%eth0")


class TestCheckUrlInTestMode:
    @pytest.mark.parametrize(
        "url", ["https://example.com/hooks", "https://hooks.internal.example:8443/vinr?x=1", "https://93.184.216.34/h"]
    )
    def test_https_to_a_public_host_passes(self, url: str) -> None:
        assert egress.check_url(url, False, resolve=resolver("93.184.216.34")) == url

    @pytest.mark.parametrize(
        "url",
        ["http://localhost:8000/hook", "http://127.0.0.1/hook", "http://[::1]:9000/hook", "HTTP://LOCALHOST/hook"],
    )
    def test_this_machine_passes_where_the_local_stack_enables_it(self, url: str) -> None:
        # tests/support/egress.py enables loopback URLs for every test, as the local stack does
        assert egress.loopback_enabled()
        assert egress.check_url(url, False, resolve=failing) == url

    @pytest.mark.parametrize(
        "url", ["http://localhost:9001/x", "http://127.0.0.1:9001/x", "https://localhost/x", "https://[::1]/x"]
    )
    def test_this_machine_is_refused_in_a_deployed_stack(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(egress.LOOPBACK_SETTING)
        refused(url, False, resolver("127.0.0.1"))

    @pytest.mark.parametrize("value", ["", "0", "true", "yes"])
    def test_only_the_value_1_enables_loopback(self, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(egress.LOOPBACK_SETTING, value)
        assert not egress.loopback_enabled()
        refused("http://127.0.0.1/x", False)

    @given(addresses_in(PRIVATE_V4 + PRIVATE_V6))
    def test_private_addresses_are_refused_as_in_live_mode(self, address: str) -> None:
        host = f"[{address}]" if ":" in address else address
        if ipaddress.ip_address(address).is_loopback:
            return  # this machine: enabled in the tests (above)
        assert "private" in refused(f"https://{host}/hook", False).message
        assert "resolves to a private" in refused("https://hooks.example.com/x", False, resolver(address)).message

    def test_a_name_must_resolve_in_test_mode_too(self) -> None:
        assert "does not resolve" in refused("https://nowhere.invalid/hook", False, failing).message

    @pytest.mark.parametrize(
        ("url", "says"),
        [
            ("http://example.com/hook", "https"),
            ("http://10.0.0.1/hook", "https"),
            ("http://127.0.0.2/hook", "https"),
            ("ftp://example.com/hook", "https"),
            ("example.com/hook", "https"),
            ("//example.com/hook", "https"),
            ("https:///hook", "https"),
            ("https://:443/hook", "host"),
            ("https://user:pw@example.com/hook", "user name"),
            ("https://user@example.com/hook", "user name"),
            ("https://example.com/hook#frag", "fragment"),
            ("https://example.com/hook#", "fragment"),
            ("https://example.com/ho ok", "spaces"),
            ("https://example.com/hook\n", "spaces"),
            ("https://example.com/\x00", "control"),
            ("https://example.com:99999/", "valid URL"),
            ("https://[::1/", "valid URL"),
            ("https://2130706433/", "standard IP"),
            ("https://0x7f.1/", "standard IP"),
            ("https://127.1/", "standard IP"),
            ("", "https"),
        ],
    )
    def test_other_urls_are_refused_naming_url(self, url: str, says: str) -> None:
        assert says in refused(url, False, resolver("93.184.216.34")).message

    def test_length_is_at_most_2048(self) -> None:
        base = "https://example.com/"
        longest = base + "a" * (2048 - len(base))
        assert egress.check_url(longest, False, resolve=resolver("93.184.216.34")) == longest
        assert refused(base + "a" * (2049 - len(base)), False).code == "string_too_long"

    def test_a_url_that_is_not_text_is_refused(self) -> None:
        refused(None, False)
        refused(["https://example.com"], False)


class TestCheckUrlInLiveMode:
    @pytest.mark.parametrize("url", ["http://localhost/hook", "http://127.0.0.1/hook", "http://example.com/hook"])
    def test_http_is_refused_even_to_this_machine_where_loopback_is_enabled(self, url: str) -> None:
        assert egress.loopback_enabled()
        assert "live mode" in refused(url, True, resolver("93.184.216.34")).message

    def test_a_host_resolving_to_public_addresses_passes_and_is_resolved_with_its_port(self) -> None:
        resolve = resolver("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
        assert egress.check_url("https://hooks.example.com:8443/x", True, resolve=resolve) == (
            "https://hooks.example.com:8443/x"
        )
        assert resolve.asked == [("hooks.example.com", 8443)]
        egress.check_url("https://hooks.example.com/x", True, resolve=resolve)
        assert resolve.asked[-1] == ("hooks.example.com", 443)

    @pytest.mark.parametrize("private", ["10.1.2.3", "127.0.0.1", "169.254.169.254", "::1", "::ffff:192.168.1.1"])
    def test_a_host_with_any_private_address_is_refused(self, private: str) -> None:
        # Given a name that resolves to a public address and a private one
        resolve = resolver("93.184.216.34", private)
        # Then it is refused: the deliverer could reach either
        assert "resolves to a private" in refused("https://hooks.example.com/x", True, resolve).message

    @given(addresses_in(PRIVATE_V4 + PRIVATE_V6))
    def test_private_ip_literals_are_refused_without_resolving(self, address: str) -> None:
        host = f"[{address}]" if ":" in address else address
        error = refused(f"https://{host}/hook", True, resolver("93.184.216.34"))
        assert "private" in error.message

    @given(addresses_in(PUBLIC_V4 + PUBLIC_V6))
    def test_public_ip_literals_pass_without_resolving(self, address: str) -> None:
        host = f"[{address}]" if ":" in address else address
        assert egress.check_url(f"https://{host}/hook", True, resolve=failing) == f"https://{host}/hook"

    def test_localhost_over_https_is_refused_where_loopback_is_enabled(self) -> None:
        assert egress.loopback_enabled()
        refused("https://localhost/hook", True, resolver("127.0.0.1"))
        refused("https://[::1]/hook", True, resolver("93.184.216.34"))

    @pytest.mark.parametrize("resolve", [failing, resolver()])
    def test_a_host_that_does_not_resolve_is_refused(self, resolve: Any) -> None:
        assert "does not resolve" in refused("https://nowhere.invalid/hook", True, resolve).message

    def test_a_name_that_cannot_be_encoded_does_not_resolve(self) -> None:
        def unicode_error(*_: Any, **__: Any) -> Any:
            raise UnicodeError("label too long")

        assert "does not resolve" in refused("https://x.example/", True, unicode_error).message
