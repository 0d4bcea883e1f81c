"""Portal sessions: minted server-side for one customer, exchanged once for a cookie.

A session is kept by its ID alone (`billing.portal.store`) because the portal learns nothing
but the ID from the URL; it names its account and mode, and every merchant read checks them
(another account's session is a 404, like a missing one). At mint time it keeps what the
portal needs to draw any page without another read: the configuration and the branding
(without the logo bytes), and the merchant's name. The merchant's mint reads all of it, with
the customer and a flow's subscription, in one round trip (`store.mint_reads`).

The secret (190 bits) is shown once, in the URL's fragment, and stored as a SHA-256 hash. The
exchange is one conditional update (secret matches, unused, not revoked, not expired), which
also stores the hash of a fresh cookie token: a stolen link is worthless once used, and a
cookie never existed before its exchange (no fixation). The expiry is the TTL attribute; every
read compares it with the clock itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec.structs

from billing.accounts import accounts, branding
from billing.accounts.records import Account, Branding
from billing.customers import customers
from billing.events import events
from billing.kernel import clock, config
from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import random_token, sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import portalconfigs, store
from billing.portal.records import Flow, PortalConfiguration, PortalSession, default_id
from billing.store.repository import Operation, Table, UnitOfWork
from billing.subscriptions import subscriptions
from billing.subscriptions.records import Subscription

SECRET_LENGTH = 32  # base62 characters: 190 bits
COOKIE_TOKEN_LENGTH = 43  # 256 bits
MAX_URL_LENGTH = 2048
LOCALES = ("auto", "en", "de", "fr", "es")
FLOW_FEATURES = {
    "payment_method_update": "paymentMethodUpdate",
    "subscription_cancel": "subscriptionCancel",
    "subscription_update": "subscriptionUpdate",
}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# An ASCII host name (labels of letters, digits and hyphens; punycode for an IDN) or an IP literal.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ASCII_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?|[0-9a-f:.]+")


class SessionUnavailable(BillingError):
    """The link or cookie does not open a portal: unknown, used, expired, revoked or wrong.

    `session` is the stored session when there is one, so the "session expired" screen can
    wear the merchant's brand and link back to `returnUrl`.
    """

    status = 410
    code = "session_expired"

    def __init__(self, session: PortalSession | None = None) -> None:
        super().__init__("This portal session has expired or was already used.")
        self.session = session


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ------------------------------------------------------------------ validation
def validate_return_url(url: str, *, livemode: bool) -> str:
    """https, or http to this machine in test mode; no credentials; at most 2048 characters."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(f"returnUrl is at most {MAX_URL_LENGTH} characters.", param="returnUrl")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidRequest("returnUrl is not a valid URL.", param="returnUrl") from None
    # Spaces, control and format characters of any script (no-break, zero-width, line separators)
    if any(ord(c) < 33 or c in '<>"\\`' or unicodedata.category(c)[0] in "CZ" for c in url):
        raise InvalidRequest("returnUrl may not contain spaces, control characters or markup.", param="returnUrl")
    loopback_http = parts.scheme == "http" and host in LOOPBACK_HOSTS and not livemode
    if parts.scheme != "https" and not loopback_http:
        hint = " (http is allowed only for localhost, in test mode)" if parts.scheme == "http" else ""
        raise InvalidRequest(f"returnUrl must be an https URL{hint}.", param="returnUrl")
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidRequest("returnUrl needs a host and no user name or password.", param="returnUrl")
    # A host a browser would read as another (Cyrillic or fullwidth lookalikes, a fraction slash)
    if not host.isascii() or not _ASCII_HOST.fullmatch(host):
        raise InvalidRequest(
            "returnUrl's host must be ASCII (an internationalised domain in punycode, xn--…).",
            param="returnUrl",
        )
    return url


def _validate_flow(
    flow: Mapping[str, Any] | None,
    customer_id: str,
    configuration: Mapping[str, Any],
    find_subscription: Callable[[str], Subscription | None],
) -> Flow | None:
    """The flow a session opens, checked against the configuration and the customer;
    `find_subscription` answers a subscription of the scope by its ID (None when there is none)."""
    if not flow:
        return None
    kind = str(flow.get("type"))
    feature = FLOW_FEATURES.get(kind)
    if feature is None:
        raise InvalidRequest(f"flow.type must be one of {', '.join(FLOW_FEATURES)}.", param="flow.type")
    if not configuration["features"][feature]["enabled"]:
        raise InvalidRequest(
            f"The portal configuration does not enable {feature}, so a {kind} flow cannot open it.", param="flow.type"
        )
    subscription_id = flow.get("subscription")
    if kind == "payment_method_update":
        if subscription_id:
            raise InvalidRequest("A payment_method_update flow takes no subscription.", param="flow.subscription")
        return Flow(type=kind)
    if not subscription_id:
        raise InvalidRequest(f"A {kind} flow needs flow.subscription.", param="flow.subscription")
    subscription = find_subscription(subscription_id)
    if subscription is None or subscription.customer != customer_id:
        raise InvalidRequest(f"No such subscription of this customer: '{subscription_id}'.", param="flow.subscription")
    if subscription.canceled:
        raise InvalidRequest("The subscription is already canceled.", param="flow.subscription")
    return Flow(type=kind, subscription=subscription_id)


def _stored_subscription(scope: Scope, table: Table) -> Callable[[str], Subscription | None]:
    def find(subscription_id: str) -> Subscription | None:
        try:
            return subscriptions.get(scope, subscription_id, table=table)
        except NotFound:
            return None

    return find


def _flow_subscription(flow: Any) -> str | None:
    """The subscription a flow names, if any (what the mint reads ahead of checking the flow)."""
    named = flow.get("subscription") if isinstance(flow, Mapping) else None
    return named if isinstance(named, str) and named else None


def _portal_base(portal_domain: str | None) -> str:
    return f"https://{portal_domain}" if portal_domain else config.settings().portal_base_url


def default_portal_host() -> str:
    return (urlsplit(config.settings().portal_base_url).hostname or "").lower()


def hostname(host: str | None) -> str:
    """`billing.example.com` of a `Host` header such as `billing.example.com:443`."""
    try:
        return (urlsplit(f"//{(host or '').strip()}").hostname or "").lower()
    except ValueError:
        return ""


def serves_host(session: PortalSession, host: str | None) -> bool:
    """A session opens on the default portal host, or on its account's custom domain."""
    name = hostname(host)
    return bool(name) and name in {default_portal_host(), session.portal_domain}


# ------------------------------------------------------------------ merchant side
def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> tuple[PortalSession, str]:
    """A new session and its URL, which carries the secret and is never shown again.

    Everything it checks is read in one round trip, before the checks, which then go in their
    order. The configuration's key is known up front: the one named, or the scope's default. What
    the batch did not find is asked of its area's service, which owns the answer: a customer's or
    a configuration's NotFound, or the default configuration, made on the scope's first use."""
    named = fields.get("configuration")
    reads = store.mint_reads(
        table,
        scope,
        customer_id=fields["customer"],
        configuration_id=default_id(scope) if named in (None, portalconfigs.DEFAULT) else named,
        subscription_id=_flow_subscription(fields.get("flow")),
    )
    customer = reads.customer or customers.get(scope, fields["customer"], table=table)
    return_url = validate_return_url(fields["returnUrl"], livemode=scope.livemode)
    locale = fields.get("locale") or "auto"
    if locale not in LOCALES:
        raise InvalidRequest(f"locale must be one of {', '.join(LOCALES)}.", param="locale")
    configuration = portalconfigs.to_wire(
        reads.configuration or portalconfigs.resolve(scope, named, request, table=table), scope
    )
    flow = _validate_flow(fields.get("flow"), customer.id, configuration, lambda _: reads.subscription)
    account = reads.account or accounts.get_account(scope.account_id, table=table)
    brand = reads.branding or Branding()  # as `branding.get_branding`: the defaults when none is stored
    secret = random_token(SECRET_LENGTH)
    session = _new_session(scope, customer.id, configuration, return_url, locale, flow, secret, account, brand)
    event = events.event_item(scope, "portal_session.created", to_wire(session), request, customer=customer.id)
    UnitOfWork(table, request).add(store.insert_session(session), events.event_op(event)).commit()
    url = f"{_portal_base(session.portal_domain)}/session/{session.id}#{secret}"
    return session, url


def _new_session(
    scope: Scope,
    customer_id: str,
    configuration: dict[str, Any],
    return_url: str,
    locale: str,
    flow: Flow | None,
    secret: str,
    account: Account,
    brand: Branding,
) -> PortalSession:
    """A session as minted: the configuration's wire form, the brand and the merchant's name as
    they are now, for the account's session length."""
    now = clock.now()
    return PortalSession(
        id=sortable_id("bps"),
        account=scope.account_id,
        mode=scope.mode,
        customer=customer_id,
        configuration=configuration,
        branding=branding.portal_snapshot(brand),
        merchant_name=account.name,
        return_url=return_url,
        locale=locale,
        flow=flow,
        secret_hash=secret_hash(secret),
        created_at=clock.to_wire(now),
        expires_at=clock.to_epoch(now + timedelta(minutes=account.default_session_minutes)),
    )


def sign_in(
    scope: Scope,
    customer_id: str,
    configuration: PortalConfiguration,
    *,
    return_url: str,
    locale: str,
    flow: Flow | None,
    spend: Operation,
    request: RequestInfo,
    table: Table,
) -> tuple[PortalSession, str]:
    """A session opened by a sign-in code rather than a link: minted already exchanged, with a
    cookie token, and committed with `spend` (the code's single use) and `customer.portal_login`.
    The session and the cookie token, as `exchange` answers them."""
    wire = portalconfigs.to_wire(configuration, scope)
    token = random_token(COOKIE_TOKEN_LENGTH)
    account = accounts.get_account(scope.account_id, table=table)
    brand = branding.get_branding(scope, table=table)
    secret = random_token(SECRET_LENGTH)  # never shown: a sign-in session has no link
    minted = _new_session(scope, customer_id, wire, return_url, locale, flow, secret, account, brand)
    session = msgspec.structs.replace(minted, used_at=minted.created_at, cookie_hash=secret_hash(token))
    audited = dataclasses.replace(request, session=session.id)
    event = events.event_item(scope, "customer.portal_login", to_wire(session), audited, customer=customer_id)
    change = UnitOfWork(table, audited, conflict_message="This code was already used.")
    change.add(spend, store.insert_signed_in_session(session), events.event_op(event)).commit()
    return session, token


def carried_flow(
    scope: Scope, customer_id: str, configuration: PortalConfiguration, flow: Flow | None, *, table: Table
) -> Flow | None:
    """An earlier session's flow, when this configuration still opens it for this customer."""
    if flow is None:
        return None
    wanted = {"type": flow.type, "subscription": flow.subscription} if flow.subscription else {"type": flow.type}
    try:
        wire = portalconfigs.to_wire(configuration, scope)
        return _validate_flow(wanted, customer_id, wire, _stored_subscription(scope, table))
    except InvalidRequest:
        return None


def get(scope: Scope, session_id: str, *, table: Table) -> PortalSession:
    session = load(session_id, table=table)
    if session is None or session.account != scope.account_id or session.mode != scope.mode:
        raise NotFound(f"No such portal session: '{session_id}'.", param="session")
    return session


def revoke(scope: Scope, session_id: str, *, table: Table) -> PortalSession:
    """Ends the session on the portal's next request (already revoked: answered as it is)."""
    current = get(scope, session_id, table=table)
    if current.revoked_at:
        return current
    return store.revoke_session(
        table,
        session_id,
        revoked_at=clock.to_wire(clock.now()),
        conflict_message="The portal session was revoked by another request.",
    )


def status(session: PortalSession) -> str:
    return session.status(clock.to_epoch(clock.now()))


def to_wire(session: PortalSession, *, url: str | None = None) -> dict[str, Any]:
    """The merchant's view: never the secret, the URL only at creation."""
    return {
        "id": session.id,
        "object": "billing_portal.session",
        "customer": session.customer,
        "configuration": session.configuration_id,
        "url": url,
        "returnUrl": session.return_url,
        "locale": session.locale,
        "flow": None
        if session.flow is None
        else {"type": session.flow.type, "subscription": session.flow.subscription},
        "status": status(session),
        "createdAt": session.created_at,
        "expiresAt": clock.to_wire(clock.from_epoch(session.expires_at)),
        "usedAt": session.used_at,
        "revokedAt": session.revoked_at,
        "livemode": session.mode == "live",
    }


# ------------------------------------------------------------------ portal side
def load(session_id: str, *, table: Table) -> PortalSession | None:
    if not session_id.startswith("bps_") or len(session_id) > 64:
        return None
    return store.get_session(table, session_id)


def exchange(session_id: str, secret: str, host: str | None, *, table: Table) -> tuple[PortalSession, str]:
    """Spends the link once, on a host that serves it: the session and a new cookie token,
    or SessionUnavailable (with the stored session, when there is one, for its brand)."""
    if not session_id.startswith("bps_") or len(session_id) > 64 or not secret or len(secret) > 128:
        raise SessionUnavailable(load(session_id, table=table) if session_id.startswith("bps_") else None)
    token = random_token(COOKIE_TOKEN_LENGTH)
    now = clock.now()
    # Off the default host, only the account's own domain spends its links.
    name = hostname(host)
    try:
        session = store.spend_link(
            table,
            session_id,
            secret_hash=secret_hash(secret),
            cookie_hash=secret_hash(token),
            used_at=clock.to_wire(now),
            now=clock.to_epoch(now),
            domain=None if name == default_portal_host() else name,
        )
    except Conflict:
        raise SessionUnavailable(load(session_id, table=table)) from None
    return session, token


def authenticate(session_id: str, token: str, *, table: Table) -> PortalSession:
    """The session behind a portal cookie, checked now: exchanged with this token, not
    revoked, not expired. Anything else is SessionUnavailable."""
    session = load(session_id, table=table)
    if session is None or not session.cookie_hash or not token:
        raise SessionUnavailable(session)
    if not hmac.compare_digest(session.cookie_hash, secret_hash(token)):
        raise SessionUnavailable(None)
    if session.revoked_at or session.expired(clock.to_epoch(clock.now())):
        raise SessionUnavailable(session)
    return session
