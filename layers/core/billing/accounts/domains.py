"""Custom portal domains: one account's each, and used only once their ownership is verified.

Setting `portalDomain` (with a live key: `billing.accounts.livesettings`) claims the domain for
the account (a `DOMAIN#<domain>` item written in the branding change's transaction, so that two
accounts never hold it; changing or removing the domain releases it) and gives the merchant a
DNS TXT record to publish: `_vinr-challenge.<domain>` holding a random token (not a secret from
the merchant: it is stored as is and answered with the branding). `verify` looks the record up
and, when it holds the token, marks the domain verified. Until then `Branding.portal_domain` is
None: sessions' URLs, hosted invoice links, emails and the portal's host checks stay on the
platform's host.

The lookup goes through a `Resolver`: dnspython deployed; in the tests an in-process stand-in
(`RecordsResolver`, set with `use_resolver`); on the local stack a JSON file of records named by
`DNS_TXT_RECORDS_FILE` (`make dev` sets it; see docs/local-stack.md).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from msgspec.structs import replace

from billing.accounts import store as account_store
from billing.accounts.records import Branding
from billing.kernel import clock
from billing.kernel.errors import InvalidRequest, ServiceUnavailable
from billing.kernel.scope import Scope
from billing.store.repository import Table

CHALLENGE_LABEL = "_vinr-challenge"
# How long a domain set but not verified is held against other accounts (then one may take it).
UNVERIFIED_HOLD_SECONDS = 3 * 24 * 3600
LOOKUP_SECONDS = 3.0
CONFLICT = "The branding was changed by another request; retry."


# ------------------------------------------------------------------ resolvers
class Resolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """The TXT strings at `name` ([] when there are none); ServiceUnavailable when DNS did not answer."""
        ...


class DnsResolver:
    """The real DNS, through dnspython (imported on the first lookup only)."""

    def txt(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            resolver = dns.resolver.Resolver()
            resolver.lifetime = LOOKUP_SECONDS
            answer = resolver.resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as error:  # a timeout, no server answering, no configuration
            raise ServiceUnavailable(f"The DNS lookup of {name} did not answer; retry.") from error
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


class RecordsResolver:
    """A stand-in holding TXT records in memory (tests set them)."""

    def __init__(self, records: Mapping[str, Iterable[str]] | None = None) -> None:
        self.records: dict[str, list[str]] = {name.lower(): list(values) for name, values in (records or {}).items()}
        self.lookups: list[str] = []

    def add(self, name: str, value: str) -> None:
        self.records.setdefault(name.lower(), []).append(value)

    def txt(self, name: str) -> list[str]:
        self.lookups.append(name)
        return list(self.records.get(name.lower(), []))


class FileResolver:
    """A stand-in reading `{"<name>": "<value>" or [...]}` from a JSON file at each lookup (the local stack)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def txt(self, name: str) -> list[str]:
        try:
            records: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        found = {key.lower(): value for key, value in records.items()}.get(name.lower(), [])
        return [found] if isinstance(found, str) else [str(value) for value in found]


_resolver: Resolver | None = None


def use_resolver(resolver: Resolver | None) -> None:
    """Look records up with `resolver` (None: back to the environment's choice)."""
    global _resolver
    _resolver = resolver


def resolver() -> Resolver:
    if _resolver is not None:
        return _resolver
    records_file = os.environ.get("DNS_TXT_RECORDS_FILE")
    return FileResolver(records_file) if records_file else DnsResolver()


# ------------------------------------------------------------------ the wire
def record_name(domain: str) -> str:
    return f"{CHALLENGE_LABEL}.{domain}"


def status(branding: Branding) -> str | None:
    if not branding.domain:
        return None
    return "verified" if branding.domain_verified_at else "pending_verification"


def to_wire(branding: Branding) -> dict[str, Any]:
    """The branding's domain fields: the domain set, its status, and the TXT record that verifies it."""
    record = None
    if branding.domain and branding.domain_token:
        record = {"type": "TXT", "name": record_name(branding.domain), "value": branding.domain_token}
    return {"portalDomain": branding.domain, "portalDomainStatus": status(branding), "portalDomainRecord": record}


# ------------------------------------------------------------------ changes
def _taken(domain: str) -> str:
    return f"portalDomain {domain} is another account's portal domain."


def save_change(table: Table, scope: Scope, current: Branding, after: Branding) -> Branding:
    """`after` (whose domain differs from `current`'s) written with the domain's claim: a new
    domain gets a new token and waits for verification; the previous one is released."""
    if after.domain:
        after = replace(after, domain_token=secrets.token_urlsafe(24), domain_verified_at=None)
    else:
        after = replace(after, domain_token=None, domain_verified_at=None)
    return _save(table, scope, current, after)


def _save(table: Table, scope: Scope, current: Branding, after: Branding) -> Branding:
    now = clock.now()
    release = None
    if current.domain and current.domain != after.domain:
        claim = account_store.get_domain_claim(table, current.domain)
        if claim and (claim.get("account"), claim.get("mode")) == (scope.account_id, scope.mode):
            release = current.domain  # (a claim another account took over stays theirs)
    return account_store.save_branding_and_domain(
        table,
        scope,
        current,
        after,
        now=clock.to_wire(now),
        epoch=clock.to_epoch(now),
        hold=UNVERIFIED_HOLD_SECONDS,
        release=release,
        conflict_message=CONFLICT,
        taken_message=_taken(after.domain or ""),
    )


def verify(scope: Scope, *, table: Table) -> Branding:
    """Checks the TXT record of the domain the branding names and marks the domain verified, or
    says (400, `portalDomain`) what was not found. A verified domain answers as it is."""
    current = account_store.get_branding(table, scope) or Branding()
    if not current.domain or not current.domain_token:
        raise InvalidRequest(
            "No portalDomain to verify: set one first (POST /v1/branding).",
            param="portalDomain",
            code="portal_domain_missing",
        )
    if current.domain_verified_at:
        return current
    name, token = record_name(current.domain), current.domain_token
    found = [value.strip() for value in resolver().txt(name)]
    if token not in found:
        seen = "no TXT record" if not found else "a TXT record without that value"
        raise InvalidRequest(
            f"{current.domain} is not verified: {name} has {seen}. Publish a TXT record {name} "
            f"with the value {token}, then verify again (DNS changes can take a few minutes to show).",
            param="portalDomain",
            code="portal_domain_unverified",
        )
    now = clock.to_wire(clock.now())
    after = replace(current, domain_verified_at=now, updated_at=now, version=current.version + 1)
    return _save(table, scope, current, after)
