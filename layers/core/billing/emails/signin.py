"""The portal's sign-in code by email, sent at once from the portal function (no queue: the
customer is waiting for it), in the same layout and brand as every other email."""

from __future__ import annotations

import logging

from billing.emails import brand, content, layout, mime, ses, store
from billing.emails.outbox import Accounts
from billing.emails.wording import choose_locale
from billing.kernel import config
from billing.kernel.scope import Scope
from billing.store.repository import Table

logger = logging.getLogger(__name__)


def send_code(scope: Scope, *, to: str, code: str, locale: str | None, table: Table) -> None:
    """Mails `code` to `to` for the account of `scope`, in `locale` (else the account's country's
    language, else English). Raises `ServiceUnavailable` when SES refuses for now (throttling,
    quotas, its own faults), so the caller can ask the customer to try again. An address that
    bounced or complained before is not mailed, and a message SES rejects for good is logged:
    both return normally, as the sign-in page answers the same whether or not a code went out."""
    if store.is_suppressed(table, to):
        logger.info("sign-in code not sent: suppressed address")
        return
    known = Accounts(table)
    account = known.account(scope.account_id)
    settings = known.settings(scope.account_id)
    language = choose_locale(locale, account.country)
    look = brand.of(scope, account, known.branding(scope), settings)
    said = content.signin_code(code, locale=language, merchant=account.name)
    raw = mime.build(
        merchant=account.name,
        domain=config.settings().sender_domain,
        to=to,
        reply_to=settings.reply_to,
        subject=said.subject,
        text=layout.text(said, look),
        html=layout.html(said, look),
        language=language,
    )
    try:
        ses.send_raw(raw, to=to)
    except ses.EmailRejected as error:
        logger.warning("sign-in code rejected by SES", extra={"reason": error.message})
