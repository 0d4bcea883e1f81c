"""What each email says: its subject, sentences, figures and links, from the event that made it."""

from __future__ import annotations

from typing import Any

from billing.emails.layout import Content
from billing.emails.records import EmailKind
from billing.emails.wording import phrase
from billing.events.records import Event
from billing.kernel import formatting


def for_event(kind: EmailKind, event: Event, *, locale: str, merchant: str, hosted_url: str | None = None) -> Content:
    """`hosted_url`: the invoice's hosted page, read when the email is sent (events do not carry
    it: its token stays out of the table)."""
    obj = event.data_object
    if kind == "subscription_canceled":
        return _cancellation(obj, locale, merchant)
    return _invoice_email(kind, {**obj, "hostedInvoiceUrl": hosted_url}, locale, merchant)


def _invoice_links(invoice: dict[str, Any], locale: str, primary: str) -> tuple[tuple[str, str], ...]:
    """The hosted invoice page and its PDF (when the invoice has a hosted page)."""
    hosted = invoice.get("hostedInvoiceUrl")
    if not hosted:
        return ()
    return ((phrase(locale, primary), str(hosted)), (phrase(locale, "action.download_pdf"), f"{hosted}/pdf"))


def _invoice_email(kind: EmailKind, invoice: dict[str, Any], locale: str, merchant: str) -> Content:
    currency = str(invoice.get("currency") or "usd")

    def money(amount: Any) -> str:
        return formatting.money(int(amount or 0), currency, locale)

    number = str(invoice.get("number") or invoice.get("id") or "")
    rows = tuple((str(line.get("description") or ""), money(line.get("amount"))) for line in invoice.get("lines") or [])
    totals: list[tuple[str, str]] = []
    if invoice.get("tax"):
        totals.append((phrase(locale, "label.tax"), money(invoice["tax"])))
    if kind == "receipt":
        paid = money(invoice.get("amountPaid"))
        totals += [
            (phrase(locale, "label.total"), money(invoice.get("total"))),
            (phrase(locale, "label.amount_paid"), paid),
        ]
        paragraphs = [phrase(locale, "receipt.intro", amount=paid)]
        details = [
            (phrase(locale, "label.invoice"), number),
            (phrase(locale, "label.paid_on"), formatting.day(invoice.get("paidAt"), locale)),
        ]
        return Content(
            locale=locale,
            subject=phrase(locale, "receipt.subject", merchant=merchant),
            heading=phrase(locale, "receipt.heading", merchant=merchant),
            paragraphs=(*paragraphs, *(f"{label}: {value}" for label, value in details if value)),
            rows=rows,
            totals=tuple(totals),
            actions=_invoice_links(invoice, locale, "action.view_invoice"),
        )
    due = money(
        invoice.get("amountRemaining") if invoice.get("amountRemaining") is not None else invoice.get("amountDue")
    )
    totals.append((phrase(locale, "label.amount_due"), due))
    prefix = "payment_failed" if kind == "payment_failed" else "action_required"
    primary = "action.pay_invoice" if kind == "payment_failed" else "action.confirm_payment"
    return Content(
        locale=locale,
        subject=phrase(locale, f"{prefix}.subject", merchant=merchant),
        heading=phrase(locale, f"{prefix}.heading"),
        paragraphs=(phrase(locale, f"{prefix}.intro", amount=due, number=number), phrase(locale, f"{prefix}.next")),
        rows=rows,
        totals=tuple(totals),
        actions=_invoice_links(invoice, locale, primary),
    )


def _cancellation(subscription: dict[str, Any], locale: str, merchant: str) -> Content:
    if subscription.get("status") != "canceled" and subscription.get("cancelAtPeriodEnd"):
        date = formatting.day(subscription.get("currentPeriodEnd"), locale)
        return Content(
            locale=locale,
            subject=phrase(locale, "canceling.subject", merchant=merchant, date=date),
            heading=phrase(locale, "canceling.heading"),
            paragraphs=(phrase(locale, "canceling.intro", merchant=merchant, date=date),),
        )
    return Content(
        locale=locale,
        subject=phrase(locale, "canceled.subject", merchant=merchant),
        heading=phrase(locale, "canceled.heading"),
        paragraphs=(phrase(locale, "canceled.intro", merchant=merchant),),
    )


def signin_code(code: str, *, locale: str, merchant: str) -> Content:
    return Content(
        locale=locale,
        subject=phrase(locale, "signin.subject", merchant=merchant),
        heading=phrase(locale, "signin.heading"),
        paragraphs=(phrase(locale, "signin.intro", merchant=merchant),),
        code=code,
        after=(phrase(locale, "signin.ignore"),),
    )
