"""Amazon SES v2 `SendEmail` of a raw message, with SES's refusals sorted into the ones worth
retrying (`ServiceUnavailable`: throttling, sending quotas, SES's own faults, the network) and the
ones that will not change (`EmailRejected`: a rejected message or address, an unverified domain)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from billing.emails.mime import sender_address
from billing.kernel import config
from billing.kernel.errors import BillingError, ServiceUnavailable
from billing.store.repository import client

_TRANSIENT = {
    "TooManyRequestsException",
    "LimitExceededException",
    "SendingPausedException",
    "ThrottlingException",
    "Throttling",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
}


class EmailRejected(BillingError):
    """SES refused the message for good (retrying it would fail again)."""

    status = 422
    code = "email_rejected"


class SendingNotConfigured(BillingError):
    """No sending domain: this stack cannot send email (a deployment fault)."""

    status = 503
    type = "api_error"
    code = "email_not_configured"


def send_raw(raw: bytes, *, to: str) -> str:
    """Sends the message; SES's message ID."""
    settings = config.settings()
    if not settings.sender_domain:
        raise SendingNotConfigured("No SENDER_DOMAIN is set: this stack sends no email.")
    request: dict[str, Any] = {
        "FromEmailAddress": sender_address(settings.sender_domain),
        "Destination": {"ToAddresses": [to]},
        "Content": {"Raw": {"Data": raw}},
    }
    if settings.ses_configuration_set:
        request["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        answer = client("sesv2").send_email(**request)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _TRANSIENT or status >= 500 or status == 429:
            raise ServiceUnavailable(f"SES refused for now ({code or status}); retry.") from error
        raise EmailRejected(
            f"SES rejected the email ({code}): {error.response.get('Error', {}).get('Message', '')}"
        ) from error
    except BotoCoreError as error:
        raise ServiceUnavailable(f"SES did not answer ({type(error).__name__}); retry.") from error
    return str(answer["MessageId"])
