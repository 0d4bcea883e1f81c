"""Signing in to the portal with a one-time code sent by email (a configuration's login page).

A customer types an address on the public page of a configuration whose `loginPage` is
enabled. The answer is the same whether the address is known or not: the same text, and the
same writes (the rate counters, then a code item under the address's key, which for an unknown
address signs nobody in and is never sent). Codes are 6 digits (`secrets.randbelow`), kept only
as an HMAC under a key derived from the deploy-time secret, live 10 minutes (TTL and the clock),
allow 5 attempts (the sixth is refused even when right), and are spent once, in the transaction
that opens the session (`portalsessions.sign_in`). A new code replaces the old one.

Several customers of the scope may share an address (compared case-insensitively): the code
signs in the most recently active one, the customer with the newest event still kept (any
change of theirs: a subscription, an invoice, a payment method, a portal session, an update),
or, without events, the newest customer.

Limits: 5 codes per address (and scope) an hour, 20 sign-in requests per client address in 10
minutes; both are counters that take a hit only below the limit (`store.count_hit`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import msgspec

from billing.customers.records import Customer
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict
from billing.kernel.ids import created_ms
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import portalconfigs, portalsessions, store
from billing.portal.records import PortalConfiguration, PortalSession
from billing.store import keymaterial
from billing.store.repository import Table

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODES_PER_EMAIL = (5, 3600)  # (hits, window in seconds)
REQUESTS_PER_CLIENT = (20, 600)
MAX_CANDIDATES = 10  # customers sharing one address that are weighed against each other
EMAIL_MAX_LENGTH = 254


class TooManyRequests(BillingError):
    """A rate limit was reached: the page answers 429 and says to wait."""

    status = 429
    code = "rate_limited"

    def __init__(self) -> None:
        super().__init__("Too many sign-in requests; wait a few minutes and try again.")


class LoginPage(msgspec.Struct, frozen=True):
    """A configuration whose login page is enabled, with the scope it belongs to."""

    scope: Scope
    configuration: PortalConfiguration


class CodeToSend(msgspec.Struct, frozen=True):
    """What the page must email: the code, to a known customer's address (never logged)."""

    customer: Customer
    to: str
    code: str

    def __repr__(self) -> str:
        return f"CodeToSend(customer={self.customer.id!r}, code=<hidden>)"


# ------------------------------------------------------------------ keys and hashes
def email_key(scope: Scope, email: str) -> str:
    """Where an address's code and counters are kept: a keyed hash, so the table holds no
    address that nobody has (and, for a customer's, none beside the customer's own item)."""
    key = keymaterial.derive("portal-signin-email")
    return hmac.new(key, f"{scope.account_id}#{scope.mode}#{email.casefold()}".encode(), hashlib.sha256).hexdigest()


def code_hash(scope: Scope, address_key: str, code: str) -> str:
    """What is stored of a code: keyed, so a copy of the table does not give the codes away by
    trying the million of them."""
    key = keymaterial.derive("portal-signin-code")
    return hmac.new(key, f"{scope.account_id}#{scope.mode}#{address_key}#{code}".encode(), hashlib.sha256).hexdigest()


def client_bucket(ip: str | None) -> str:
    """A client's rate counter, named by a keyed hash of its address (no IP address at rest)."""
    key = keymaterial.derive("portal-signin-client")
    return "SIGNINIP#" + hmac.new(key, (ip or "unknown").encode(), hashlib.sha256).hexdigest()[:32]


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_email(value: str) -> str | None:
    """The address as typed, trimmed; None when it cannot be an address at all."""
    email = value.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > EMAIL_MAX_LENGTH or any(c.isspace() for c in email):
        return None
    return email


# ------------------------------------------------------------------ the page
def login_page(configuration_id: str, *, table: Table) -> LoginPage | None:
    """The configuration behind a public login URL, when its login page is enabled."""
    if not configuration_id.startswith("bpc_") or len(configuration_id) > 64:
        return None
    scope = store.login_page_scope(table, configuration_id)
    if scope is None:
        return None
    configuration = store.get_configuration(table, scope, configuration_id)
    if configuration is None or not configuration.login_page_enabled:
        return None
    return LoginPage(scope, configuration)


def login_path_for(session: PortalSession, *, table: Table) -> str | None:
    """Where the "session expired" screen of `session` offers to sign in again: its
    configuration's login page, when it is (still) enabled."""
    found = login_page(session.configuration_id, table=table)
    if found is None or found.scope != session.scope:
        return None
    return f"/login/{session.configuration_id}"


def check_client(ip: str | None, *, table: Table) -> None:
    """Counts one sign-in request of this client; TooManyRequests past the limit."""
    limit, window = REQUESTS_PER_CLIENT
    if not store.count_hit(table, client_bucket(ip), window=window, now=clock.to_epoch(clock.now()), limit=limit):
        raise TooManyRequests()


def most_recently_active(found: list[Customer], latest_event_id: Callable[[str], str | None]) -> Customer:
    """Of customers sharing an address, the one with the newest event (by the milliseconds of
    the time-sortable IDs), else the newest customer; `latest_event_id` is asked only when there
    is a choice to make."""
    if len(found) == 1:
        return found[0]

    def activity(customer: Customer) -> int:
        latest = latest_event_id(customer.id)
        return max(created_ms(latest) if latest else 0, created_ms(customer.id))

    return max(found, key=lambda c: (activity(c), c.id))


def well_formed(code: str) -> bool:
    """Six ASCII digits (`isdigit` alone takes other scripts' digits too)."""
    return code.isascii() and code.isdigit() and len(code) == CODE_DIGITS


def customer_signed_in(stored: Mapping[str, Any], code_hash: str) -> str | None:
    """The customer the stored code signs in when `code_hash` is its hash; None for another code,
    and for the code of an address nobody has (stored alike, it signs nobody in)."""
    if not hmac.compare_digest(str(stored.get("codeHash", "")), code_hash) or not stored.get("customer"):
        return None
    return str(stored["customer"])


def request_code(page: LoginPage, email: str, *, table: Table) -> CodeToSend | None:
    """A new code for `email` (already normalised), replacing any earlier one: the code to send
    when the address is a customer's, None otherwise (nothing is sent, the page says the same)."""
    scope = page.scope
    address_key = email_key(scope, email)
    limit, window = CODES_PER_EMAIL
    now = clock.now()
    if not store.count_hit(
        table,
        f"SIGNINEMAIL#{scope.account_id}#{scope.mode}#{address_key}",
        window=window,
        now=clock.to_epoch(now),
        limit=limit,
    ):
        raise TooManyRequests()
    found = store.customers_with_email(table, scope, email, limit=MAX_CANDIDATES)
    customer = most_recently_active(found, lambda c: store.latest_event_id(table, scope, c)) if found else None
    code = new_code()
    store.put_code(
        table,
        scope,
        address_key,
        code_hash=code_hash(scope, address_key, code),
        customer=customer.id if customer else None,
        created_at=clock.to_wire(now),
        expires_at=clock.to_epoch(now + CODE_LIFETIME),
    )
    return CodeToSend(customer=customer, to=customer.email or email, code=code) if customer else None


def verify_code(
    page: LoginPage,
    email: str,
    code: str,
    *,
    expired_session: str | None,
    return_url: str,
    locale: str,
    request: RequestInfo,
    table: Table,
) -> tuple[PortalSession, str] | None:
    """The session a right code opens, with its cookie token (as a link's exchange answers
    them); None for a wrong, expired, used-up or spent code. `expired_session`, the ID of the
    session whose expiry led here, only chooses the flow (and the way back) of the new session,
    when it is a session of the same scope and customer."""
    scope = page.scope
    address_key = email_key(scope, email)
    now = clock.to_epoch(clock.now())
    stored = store.spend_code_attempt(table, scope, address_key, now=now, max_attempts=MAX_ATTEMPTS)
    if stored is None or not well_formed(code):
        return None
    hashed = code_hash(scope, address_key, code)
    customer_id = customer_signed_in(stored, hashed)
    if customer_id is None:
        return None
    earlier = portalsessions.load(expired_session, table=table) if expired_session else None
    flow = None
    if earlier is not None and earlier.scope == scope and earlier.customer == customer_id:
        flow = portalsessions.carried_flow(scope, customer_id, page.configuration, earlier.flow, table=table)
        return_url, locale = earlier.return_url, earlier.locale
    try:
        return portalsessions.sign_in(
            scope,
            customer_id,
            page.configuration,
            return_url=return_url,
            locale=locale,
            flow=flow,
            spend=store.use_code(scope, address_key, hashed),
            request=request,
            table=table,
        )
    except Conflict:  # spent by another request meanwhile
        return None


def login_url(page: LoginPage, *, table: Table) -> str:
    return portalconfigs.login_url(page.configuration.id, portalconfigs.portal_domain(page.scope, table=table))
