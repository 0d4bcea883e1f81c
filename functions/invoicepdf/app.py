"""Invoice PDF function: `GET /v1/invoices/{id}/pdf` on the merchant API.

A function of its own so that the API function never loads reportlab: the PDF library is paid
for only by the requests that render one.
"""

from __future__ import annotations

from billing.kernel.coldstart import collector_paused

with collector_paused():
    import base64
    import json
    import re
    import uuid
    from typing import TYPE_CHECKING, Any

    from aws_lambda_powertools import Logger

    from billing.accounts import accounts
    from billing.invoicing import invoices, pdf
    from billing.kernel import correlation
    from billing.kernel.errors import BillingError, NotFound
    from billing.store.repository import Table

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="invoicepdf")
correlation.install(logger)
INVOICE_ID = re.compile(r"^inv_[A-Za-z0-9]{1,40}\Z")
SHOWN_ID_LENGTH = 100  # as merchant_api.wire's


def _json(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # `Request-Id` on every answer, as the API function's (functions/api/app.py)
    identifier = str((event.get("requestContext") or {}).get("requestId") or uuid.uuid4().hex)
    with correlation.invocation(logger, request_id=identifier):
        answer = _answer(event)
    answer["headers"]["Request-Id"] = identifier
    return answer


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    try:
        table = Table()
        caller = accounts.authenticate((event.get("headers") or {}).get("authorization"), table=table)
        correlation.bind(account=caller.account_id, mode=caller.mode)
        invoice_id = (event.get("pathParameters") or {}).get("id", "")
        if not INVOICE_ID.match(invoice_id):  # answered as an unknown one, as the API function does
            shown = invoice_id if len(invoice_id) <= SHOWN_ID_LENGTH else f"{invoice_id[:SHOWN_ID_LENGTH]}…"
            raise NotFound(f"No such invoice: '{shown}'.", param="invoice")
        invoice = invoices.get(caller.scope, invoice_id, table=table)
        # In the invoice's language: its customer's preferred locale when it was made
        document = pdf.invoice_document(caller.scope, invoice, invoice.locale or "en", table=table)
    except BillingError as error:
        return _json(error.status, error.envelope())
    except Exception:
        logger.exception("invoice PDF failed")
        return _json(
            500, {"error": {"type": "api_error", "code": "internal_error", "message": "An internal error occurred."}}
        )
    return {
        "statusCode": 200,
        "headers": {
            "content-type": "application/pdf",
            "content-disposition": f'inline; filename="invoice-{invoice.number}.pdf"',
            "cache-control": "private, no-store",
        },
        "body": base64.b64encode(document).decode(),
        "isBase64Encoded": True,
    }
