"""The demo data `make dev` starts with."""

from __future__ import annotations

from dataclasses import dataclass

from billing import accounts


@dataclass(frozen=True)
class Seeded:
    account_id: str
    secret_key: str


def seed() -> Seeded:
    account, key = accounts.create_account("Demo Co", country="DE")
    accounts.update_account(
        account["id"],
        {
            "legalName": "Demo Co GmbH",
            "address": {"line1": "Friedrichstraße 1", "city": "Berlin", "postalCode": "10117", "country": "DE"},
            "defaultCurrency": "eur",
        },
    )
    return Seeded(account_id=account["id"], secret_key=key.secret)
