"""The DNS every test sees: an in-process stand-in (no test reaches a real resolver), as the
plugin fixture `dns`, autouse; a test publishes a record with `dns.add(name, value)`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing.accounts import domains
from tests.support.apiclient import ApiClient, ok


@pytest.fixture(autouse=True)
def dns() -> Iterator[domains.RecordsResolver]:
    resolver = domains.RecordsResolver()
    domains.use_resolver(resolver)
    yield resolver
    domains.use_resolver(None)


def verified_domain(live: ApiClient, dns: domains.RecordsResolver, domain: str) -> None:
    """`domain` set as `live`'s portal domain (a live key's client), its TXT record published and verified."""
    body = ok(live.post("/v1/branding", {"portalDomain": domain}))
    record = body["portalDomainRecord"]
    dns.add(record["name"], record["value"])
    assert ok(live.post("/v1/branding/portal_domain/verify"))["portalDomainStatus"] == "verified"
