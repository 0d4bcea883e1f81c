"""Email tests' tools: the stream → fanout → email queue → mailer path driven one poll at a time
by the local stack's own pollers, and the messages moto's SES accepted, parsed as a mail client would."""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message
from email.policy import default

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.support.webhooks import Pipeline


@dataclass
class SentEmail:
    to: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def sender(self) -> str:
        return str(self.message["From"])

    @property
    def reply_to(self) -> str | None:
        value = self.message["Reply-To"]
        return None if value is None else str(value)

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def text(self) -> str:
        return self.part("plain")


def sent_emails(region: str = "us-east-1") -> list[SentEmail]:
    """Every raw message moto's SES accepted, oldest first."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][region]
    return [
        SentEmail(list(m.destinations), email.message_from_string(m.raw_data, policy=default))
        for m in backend.sent_messages
        if hasattr(m, "raw_data")
    ]


class EmailPipeline(Pipeline):
    """The template's stream → FanoutFunction and EmailQueue → MailerFunction mappings."""

    WORKER = "MailerFunction"
    QUEUE = "EmailQueue"

    def send(self) -> int:
        """Send every email visible now; how many batches ran."""
        return self.deliver()
