"""`make dev`'s mailbox: a page on 127.0.0.1 listing every email the stack sent through (moto's)
SES, newest first, each shown as it was sent: its headers, its HTML (in a sandboxed frame, so
nothing in it runs) and its plain text.

moto runs in the same process as the stack, so the messages are read from its SES backend,
where SES v2 `SendEmail` keeps each raw message it accepted.
"""

from __future__ import annotations

import email
import threading
from email.message import EmailMessage
from email.policy import default
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;width:100%}}
td,th{{text-align:left;padding:6px 10px;border-bottom:1px solid #ddd}}
iframe{{width:100%;height:720px;border:1px solid #ccc}}
pre{{background:#f6f6f6;padding:12px;white-space:pre-wrap}}dt{{font-weight:600}}</style></head>
<body><main>{body}</main></body></html>"""


def raw_messages(account_id: str | None = None, region: str = "us-east-1") -> list[str]:
    """The raw messages moto's SES accepted, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[account_id or DEFAULT_ACCOUNT_ID][region]
    return [m.raw_data for m in list(backend.sent_messages) if hasattr(m, "raw_data")]


def parse(raw: str) -> EmailMessage:
    message = email.message_from_string(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return "" if body is None else str(body.get_content())


def index_page(messages: list[str]) -> str:
    rows = []
    for number in range(len(messages) - 1, -1, -1):
        message = parse(messages[number])
        rows.append(
            f'<tr><td><a href="/messages/{number}">{escape(str(message["Subject"]))}</a></td>'
            f"<td>{escape(str(message['To']))}</td><td>{escape(str(message['From']))}</td>"
            f"<td>{escape(str(message['Date'] or ''))}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>Subject</th><th>To</th><th>From</th><th>Date</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        if rows
        else "<p>No email sent yet.</p>"
    )
    return PAGE.format(title="Local mailbox", body=f"<h1>Local mailbox</h1><p>{len(messages)} sent</p>{table}")


def message_page(raw: str, number: int) -> str:
    message = parse(raw)
    headers = "".join(
        f"<dt>{name}</dt><dd>{escape(str(message[name]))}</dd>"
        for name in ("Subject", "From", "To", "Reply-To", "Content-Language")
        if message[name] is not None
    )
    html = _part(message, "html")
    body = (
        f'<p><a href="/">← all emails</a></p><h1>{escape(str(message["Subject"]))}</h1><dl>{headers}</dl>'
        f'<h2>HTML</h2><iframe title="HTML part" sandbox srcdoc="{escape(html, quote=True)}"></iframe>'
        f'<p><a href="/messages/{number}.html">open the HTML part alone</a></p>'
        f"<h2>Plain text</h2><pre>{escape(_part(message, 'plain'))}</pre>"
    )
    return PAGE.format(title=escape(str(message["Subject"])), body=body)


class Mailbox:
    """The mailbox page's server on 127.0.0.1 (`port` 0, or a port in use: any free one)."""

    def __init__(self, port: int = 0, read: Any = raw_messages) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                messages = read()
                path = self.path.split("?", 1)[0]
                status, content_type, body = 404, "text/plain; charset=utf-8", "not found"
                if path == "/":
                    status, content_type, body = 200, "text/html; charset=utf-8", index_page(messages)
                elif path.startswith("/messages/"):
                    name = path.removeprefix("/messages/")
                    alone = name.endswith(".html")
                    number = name.removesuffix(".html")
                    if number.isdigit() and int(number) < len(messages):
                        raw = messages[int(number)]
                        status, content_type = 200, "text/html; charset=utf-8"
                        body = _part(parse(raw), "html") if alone else message_page(raw, int(number))
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                # the HTML part alone runs nothing: the page is the email as sent, not an app
                self.send_header("content-security-policy", "script-src 'none'; frame-ancestors 'self'")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError:  # the port is taken (another stack, a test): any free one; the banner says which
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="mailbox", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
