"""Portal domains without I/O: the wire form, the resolvers' stand-ins."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from billing.accounts import domains
from billing.accounts.records import Branding
from billing.kernel.errors import ServiceUnavailable


class TestWire:
    def test_no_domain(self) -> None:
        assert domains.to_wire(Branding()) == {
            "portalDomain": None,
            "portalDomainStatus": None,
            "portalDomainRecord": None,
        }

    def test_a_pending_domain_names_its_record(self) -> None:
        wire = domains.to_wire(Branding(domain="billing.example.com", domain_token="tok"))
        assert wire == {
            "portalDomain": "billing.example.com",
            "portalDomainStatus": "pending_verification",
            "portalDomainRecord": {"type": "TXT", "name": "_vinr-challenge.billing.example.com", "value": "tok"},
        }

    def test_a_verified_domain(self) -> None:
        brand = Branding(domain="billing.example.com", domain_token="tok", domain_verified_at="2026-12-03T05:00:00Z")
        assert domains.to_wire(brand)["portalDomainStatus"] == "verified"


class TestResolvers:
    def test_the_records_stand_in_answers_what_was_added(self) -> None:
        resolver = domains.RecordsResolver({"_vinr-challenge.a.example": ["one"]})
        resolver.add("_VINR-challenge.A.example", "two")
        assert resolver.txt("_vinr-challenge.a.example") == ["one", "two"]
        assert resolver.txt("_vinr-challenge.b.example") == []

    def test_the_file_stand_in_reads_the_file_at_each_lookup(self, tmp_path: Path) -> None:
        path = tmp_path / "dns.json"
        resolver = domains.FileResolver(str(path))
        assert resolver.txt("_vinr-challenge.a.example") == []  # no file yet
        path.write_text(json.dumps({"_vinr-challenge.a.example": "tok", "_vinr-challenge.b.example": ["x", "y"]}))
        assert resolver.txt("_vinr-challenge.A.example") == ["tok"]
        assert resolver.txt("_vinr-challenge.b.example") == ["x", "y"]

    def test_the_environment_chooses_unless_a_resolver_is_set(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dns: domains.RecordsResolver
    ) -> None:
        assert domains.resolver() is dns  # (tests/support/dns.py: every test's stand-in)
        domains.use_resolver(None)
        monkeypatch.delenv("DNS_TXT_RECORDS_FILE", raising=False)
        assert isinstance(domains.resolver(), domains.DnsResolver)
        monkeypatch.setenv("DNS_TXT_RECORDS_FILE", str(tmp_path / "dns.json"))
        assert isinstance(domains.resolver(), domains.FileResolver)


class TestDnsResolver:
    """dnspython's answers and failures, as `verify` sees them (its `resolve` stood in for)."""

    def answering(self, monkeypatch: pytest.MonkeyPatch, outcome: Any) -> domains.DnsResolver:
        import dns.resolver

        def resolve(_: Any, name: str, rdtype: str, **__: Any) -> Any:
            assert rdtype == "TXT" and name == "_vinr-challenge.a.example"
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        monkeypatch.setattr(dns.resolver.Resolver, "resolve", resolve)
        return domains.DnsResolver()

    def test_txt_strings_are_joined_and_decoded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        records = [SimpleNamespace(strings=(b"tok", b"en")), SimpleNamespace(strings=(b"other",))]
        assert self.answering(monkeypatch, records).txt("_vinr-challenge.a.example") == ["token", "other"]

    def test_no_such_name_or_no_txt_is_no_record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import dns.resolver

        for missing in (dns.resolver.NXDOMAIN(), dns.resolver.NoAnswer()):
            assert self.answering(monkeypatch, missing).txt("_vinr-challenge.a.example") == []

    def test_dns_not_answering_is_a_503_to_retry(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import dns.exception
        import dns.resolver

        for failure in (dns.exception.Timeout(), dns.resolver.NoNameservers()):
            with pytest.raises(ServiceUnavailable):
                self.answering(monkeypatch, failure).txt("_vinr-challenge.a.example")
