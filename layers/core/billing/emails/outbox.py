"""From the outbox to the email queue: the email an event makes, recorded `queued` beside the
event, then one queue message `{account, mode, event, kind}` (the fanout function calls this for
every outbox event, as it fans webhooks out)."""

from __future__ import annotations

import json

import msgspec

from billing.accounts.records import Account, Branding
from billing.emails import choice
from billing.emails.records import EmailKind, EmailSettings
from billing.events.records import Event
from billing.kernel import clock, config
from billing.kernel.errors import NotFound
from billing.kernel.scope import Mode, Scope
from billing.store.repository import Queue, Table


class Message(msgspec.Struct, frozen=True):
    account: str
    mode: Mode
    event: str
    kind: EmailKind
    request: str | None = None  # the ID of the request that made the event, for the mailer's log lines

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.mode)

    def body(self) -> str:
        head = {"account": self.account, "mode": self.mode, "event": self.event, "kind": self.kind}
        return json.dumps({**head, "request": self.request} if self.request else head)

    @classmethod
    def parse(cls, body: str) -> Message:
        """The message in a queue record's body; ValueError when it is not one of ours."""
        return msgspec.json.decode(body, type=cls)


class Accounts:
    """What one batch reads once per account: its settings, the account, its branding per mode."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._settings: dict[str, EmailSettings] = {}
        self._accounts: dict[str, Account] = {}
        self._brands: dict[Scope, Branding] = {}

    def settings(self, account_id: str) -> EmailSettings:
        # The email store and the services are imported with the first email: most events make
        # none, and the fanout reads every event.
        from billing.emails import store

        if account_id not in self._settings:
            self._settings[account_id] = store.get_settings(self.table, account_id)
        return self._settings[account_id]

    def account(self, account_id: str) -> Account:
        from billing.accounts import accounts

        if account_id not in self._accounts:
            self._accounts[account_id] = accounts.get_account(account_id, table=self.table)
        return self._accounts[account_id]

    def branding(self, scope: Scope) -> Branding:
        from billing.accounts import brandreads

        if scope not in self._brands:
            self._brands[scope] = brandreads.get_branding(scope, table=self.table)
        return self._brands[scope]


def fan_out(event: Event, *, table: Table, queue: Queue, known: Accounts | None = None) -> EmailKind | None:
    """The email this event makes (None when it makes none, the account turned that kind off, or
    the customer has no address). Its record is written `queued` first (kept as it is when it
    exists, so a duplicated stream record changes nothing), then its message is sent: a failure
    between the two is retried by the stream, and the message is never lost."""
    kind = choice.kind_for(event)
    if kind is None or not config.settings().sender_domain:
        return None  # no email for this event, or a stack deployed without a sending domain
    from billing.customers import customers
    from billing.emails import store
    from billing.emails.wording import choose_locale

    known = known or Accounts(table)
    if not known.settings(event.account).sends(kind):
        return None
    customer_id = event.customer or event.data_object.get("customer")
    if not customer_id:
        return None
    try:
        customer = customers.get(event.scope, str(customer_id), table=table)
    except NotFound:
        return None
    if not customer.email:
        return None
    locale = choose_locale(customer.preferred_locale, known.account(event.account).country)
    store.open_email(table, event.scope, event, kind, customer.email, locale, clock.to_wire(clock.now()))
    queue.send([Message(event.account, event.mode, event.id, kind, event.request.get("id")).body()])
    return kind
