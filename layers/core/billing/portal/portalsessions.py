"""Portal sessions: minted server-side for one customer, exchanged once for a cookie.

Item: pk `PSESS#<bps_id>`, sk `PORTAL_SESSION`. It is keyed by its ID alone because the portal
learns nothing but the ID from the URL; it names its account and mode, and every merchant read
checks them (another account's session is a 404, like a missing one). At mint time it keeps
what the portal needs to draw any page without another read: the configuration and the
branding (without the logo bytes), and the merchant's name.

The secret (190 bits) is shown once, in the URL's fragment, and stored as a SHA-256 hash. The
exchange is one conditional update (secret matches, unused, not revoked, not expired), which
also stores the hash of a fresh cookie token: a stolen link is worthless once used, and a
cookie never existed before its exchange (no fixation). `expiresAt` is the TTL attribute; every
read compares it with the clock itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from billing.accounts import accounts, branding
from billing.customers import customers
from billing.events import events
from billing.kernel import clock, config
from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound
from billing.kernel.ids import random_token, sortable_id
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import portalconfigs
from billing.store.repository import Item, Put, Table, UnitOfWork, holds
from billing.subscriptions import subscriptions

SK = "PORTAL_SESSION"
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

    def __init__(self, session: Item | None = None) -> None:
        super().__init__("This portal session has expired or was already used.")
        self.session = session


def session_key(session_id: str) -> tuple[str, str]:
    return f"PSESS#{session_id}", SK


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
    scope: Scope, flow: Mapping[str, Any] | None, customer_id: str, configuration: Mapping[str, Any], table: Table
) -> dict[str, Any] | None:
    if not flow:
        return None
    kind = flow.get("type")
    feature = FLOW_FEATURES.get(str(kind))
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
        return {"type": kind, "subscription": None}
    if not subscription_id:
        raise InvalidRequest(f"A {kind} flow needs flow.subscription.", param="flow.subscription")
    try:
        subscription = subscriptions.get(scope, subscription_id, table=table)
    except NotFound:
        subscription = None
    if subscription is None or subscription.get("customer") != customer_id:
        raise InvalidRequest(f"No such subscription of this customer: '{subscription_id}'.", param="flow.subscription")
    if subscription.get("status") == "canceled":
        raise InvalidRequest("The subscription is already canceled.", param="flow.subscription")
    return {"type": kind, "subscription": subscription_id}


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


def serves_host(session: Mapping[str, Any], host: str | None) -> bool:
    """A session opens on the default portal host, or on its account's custom domain."""
    name = hostname(host)
    return bool(name) and name in {default_portal_host(), (session.get("branding") or {}).get("portalDomain")}


# ------------------------------------------------------------------ merchant side
def create(scope: Scope, fields: Mapping[str, Any], request: RequestInfo, *, table: Table) -> tuple[Item, str]:
    """A new session and its URL, which carries the secret and is never shown again."""
    customer = customers.get(scope, fields["customer"], table=table)
    return_url = validate_return_url(fields["returnUrl"], livemode=scope.livemode)
    locale = fields.get("locale") or "auto"
    if locale not in LOCALES:
        raise InvalidRequest(f"locale must be one of {', '.join(LOCALES)}.", param="locale")
    configuration = portalconfigs.to_wire(
        portalconfigs.resolve(scope, fields.get("configuration"), request, table=table), scope
    )
    flow = _validate_flow(scope, fields.get("flow"), customer["id"], configuration, table)
    account = accounts.get_account(scope.account_id, table=table)
    brand = branding.portal_snapshot(branding.get_branding(scope, table=table))
    now = clock.now()
    minutes = int(account.get("defaultSessionMinutes") or accounts.DEFAULT_SESSION_MINUTES)
    secret = random_token(SECRET_LENGTH)
    session_id = sortable_id("bps")
    pk, sk = session_key(session_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "portal_session",
        "id": session_id,
        "account": scope.account_id,
        "mode": scope.mode,
        "customer": customer["id"],
        "configuration": configuration,
        "branding": brand,
        "merchantName": account.get("name"),
        "returnUrl": return_url,
        "locale": locale,
        "flow": flow,
        "secretHash": secret_hash(secret),
        "createdAt": clock.to_wire(now),
        "expiresAt": clock.to_epoch(now + timedelta(minutes=minutes)),
    }
    event = events.event_item(scope, "portal_session.created", to_wire(item), request, customer=customer["id"])
    UnitOfWork(table, request).add(Put(item, condition="attribute_not_exists(pk)"), events.event_op(event)).commit()
    url = f"{_portal_base(brand.get('portalDomain'))}/session/{session_id}#{secret}"
    return item, url


def get(scope: Scope, session_id: str, *, table: Table) -> Item:
    item = load(session_id, table=table)
    if item is None or item["account"] != scope.account_id or item["mode"] != scope.mode:
        raise NotFound(f"No such portal session: '{session_id}'.", param="id")
    return item


def revoke(scope: Scope, session_id: str, *, table: Table) -> Item:
    """Ends the session on the portal's next request (already revoked: answered as it is)."""
    current = get(scope, session_id, table=table)
    if current.get("revokedAt"):
        return current
    pk, sk = session_key(session_id)
    return table.update(
        pk,
        sk,
        expression="SET revokedAt = :now",
        condition="attribute_not_exists(revokedAt)",
        values={":now": clock.to_wire(clock.now())},
        conflict_message="The portal session was revoked by another request.",
        already=lambda item: bool(item.get("revokedAt")),  # revoked, by this request or another: done
    )


def status(item: Mapping[str, Any]) -> str:
    if item.get("revokedAt"):
        return "revoked"
    if item["expiresAt"] <= clock.to_epoch(clock.now()):
        return "expired"
    return "used" if item.get("usedAt") else "open"


def to_wire(item: Mapping[str, Any], *, url: str | None = None) -> dict[str, Any]:
    """The merchant's view: never the secret, the URL only at creation."""
    return {
        "id": item["id"],
        "object": "billing_portal.session",
        "customer": item["customer"],
        "configuration": item["configuration"]["id"],
        "url": url,
        "returnUrl": item["returnUrl"],
        "locale": item["locale"],
        "flow": item.get("flow"),
        "status": status(item),
        "createdAt": item["createdAt"],
        "expiresAt": clock.to_wire(clock.from_epoch(item["expiresAt"])),
        "usedAt": item.get("usedAt"),
        "revokedAt": item.get("revokedAt"),
        "livemode": item["mode"] == "live",
    }


# ------------------------------------------------------------------ portal side
def load(session_id: str, *, table: Table) -> Item | None:
    if not session_id.startswith("bps_") or len(session_id) > 64:
        return None
    return table.get(*session_key(session_id))


def exchange(session_id: str, secret: str, host: str | None, *, table: Table) -> tuple[Item, str]:
    """Spends the link once, on a host that serves it: the session and a new cookie token,
    or SessionUnavailable (with the stored session, when there is one, for its brand)."""
    if not session_id.startswith("bps_") or len(session_id) > 64 or not secret or len(secret) > 128:
        raise SessionUnavailable(load(session_id, table=table) if session_id.startswith("bps_") else None)
    token = random_token(COOKIE_TOKEN_LENGTH)
    now = clock.now()
    pk, sk = session_key(session_id)
    condition = (
        "attribute_exists(pk) AND secretHash = :secret AND attribute_not_exists(usedAt)"
        " AND attribute_not_exists(revokedAt) AND expiresAt > :epoch"
    )
    values: dict[str, Any] = {
        ":now": clock.to_wire(now),
        ":cookie": secret_hash(token),
        ":secret": secret_hash(secret),
        ":epoch": clock.to_epoch(now),
    }
    names = None
    if hostname(host) != default_portal_host():
        # Off the default host, only the account's own domain spends its links.
        condition += " AND #branding.#domain = :host"
        names, values[":host"] = {"#branding": "branding", "#domain": "portalDomain"}, hostname(host)
    try:
        item = table.update(
            pk,
            sk,
            expression="SET usedAt = :now, cookieHash = :cookie",
            condition=condition,
            names=names,
            values=values,
            already=holds({"cookieHash": values[":cookie"]}),  # this request's own token: spent by it
        )
    except Conflict:
        raise SessionUnavailable(load(session_id, table=table)) from None
    return item, token


def authenticate(session_id: str, token: str, *, table: Table) -> Item:
    """The session behind a portal cookie, checked now: exchanged with this token, not
    revoked, not expired. Anything else is SessionUnavailable."""
    item = load(session_id, table=table)
    if item is None or not item.get("cookieHash") or not token:
        raise SessionUnavailable(item)
    if not hmac.compare_digest(item["cookieHash"], secret_hash(token)):
        raise SessionUnavailable(None)
    if item.get("revokedAt") or item["expiresAt"] <= clock.to_epoch(clock.now()):
        raise SessionUnavailable(item)
    return item


def session_scope(item: Mapping[str, Any]) -> Scope:
    return Scope(item["account"], item["mode"])
