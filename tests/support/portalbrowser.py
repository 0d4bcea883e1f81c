"""The portal as a browser without JavaScript sees it, through the real handler.

A cookie jar that honours `Max-Age`, `Path`, `Secure` and deletion, a `Host` header, form
posts, and `open_link`, which does what the landing page's one script does: post the URL's
fragment to the exchange endpoint. `portal_sign_in` mints a session through the merchant API and
follows its link in a fresh browser (`signed_in` when the landing must succeed); `csrf_of` and
`page_csrf` read a page's CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local.invoke import HttpResponse
from local.template import Template
from tests.support.apiclient import ApiClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
RETURN_URL = "https://app.example.com/"
# A German address as the billing-details form posts it.
ADDRESS_FORM = {
    "address_line1": "Unter den Linden 5",
    "address_line2": "",
    "address_postal_code": "10117",
    "address_city": "Berlin",
    "address_state": "",
    "address_country": "DE",
}


@dataclass
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]
    flags: set[str]


def parse_set_cookie(header: str) -> SetCookie:
    first, *rest = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    attributes: dict[str, str] = {}
    flags: set[str] = set()
    for part in rest:
        key, has_value, val = part.partition("=")
        if has_value:
            attributes[key.lower()] = val
        else:
            flags.add(key.lower())
    return SetCookie(name, value, attributes, flags)


@dataclass
class PortalBrowser:
    template: Template
    host: str = "127.0.0.1:3001"
    user_agent: str = "pytest-browser"
    jar: dict[str, str] = field(default_factory=dict)
    last_set_cookies: list[SetCookie] = field(default_factory=list)

    def request(
        self, method: str, path: str, *, form: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        client = ApiClient(self.template, api="PortalHttpApi")
        path, _, query = path.partition("?")  # a query string travels beside the path, as in the gateway's event
        all_headers = {"host": self.host, "user-agent": self.user_agent}
        if self.jar:
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            all_headers["content-type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        response = client.request(
            method, path, body=body, headers=all_headers, query=dict(parse_qsl(query, keep_blank_values=True))
        )
        self.last_set_cookies = [parse_set_cookie(v) for k, v in response.headers if k.lower() == "set-cookie"]
        for cookie in self.last_set_cookies:
            if cookie.attributes.get("max-age") == "0" or not cookie.value or cookie.value == '""':
                self.jar.pop(cookie.name, None)
            else:
                self.jar[cookie.name] = SimpleCookie(f"{cookie.name}={cookie.value}")[cookie.name].value
        return response

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, Any], **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, form=form, **kwargs)

    def exchange(self, url: str) -> HttpResponse:
        """The landing page's script: the fragment, posted to the exchange."""
        parts = urlsplit(url)
        return self.post(f"{parts.path}/exchange", {"secret": parts.fragment})

    def open_link(self, url: str) -> HttpResponse:
        """Landing page, exchange, and the redirect it answers (the page the customer sees)."""
        landing = self.get(urlsplit(url).path)
        if landing.status != 200:
            return landing
        exchanged = self.exchange(url)
        location = exchanged.header("location")
        if exchanged.status != 303 or location is None:
            return exchanged
        return self.get(location)


def csrf_of(text: str) -> str:
    """The CSRF token in a portal page's forms."""
    found = CSRF.search(text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def page_csrf(page: HttpResponse) -> str:
    """The CSRF token of a page the portal served (200)."""
    assert page.status == 200, page.text
    return csrf_of(page.text)


def mint_session(api: ApiClient, customer: str, return_url: str, **fields: Any) -> dict[str, Any]:
    """A portal session for `customer`, as the merchant API answers it (`id`, `url`, ...)."""
    response = api.post("/v1/billing/portal_sessions", {"customer": customer, "returnUrl": return_url, **fields})
    assert response.status == 200, response.text
    return dict(response.json())


def portal_sign_in(
    template: Template, api: ApiClient, customer: str, return_url: str, **fields: Any
) -> tuple[PortalBrowser, HttpResponse, dict[str, Any]]:
    """A fresh browser that followed a new session's link: the browser, the page it landed on
    (its status is the caller's to check) and the session."""
    session = mint_session(api, customer, return_url, **fields)
    browser = PortalBrowser(template)
    return browser, browser.open_link(session["url"]), session


def signed_in(template: Template, api: ApiClient, customer: str, **fields: Any) -> PortalBrowser:
    """A fresh browser signed in to `customer`'s portal (its landing page answered 200)."""
    browser, landed, _ = portal_sign_in(template, api, customer, RETURN_URL, **fields)
    assert landed.status == 200, landed.text
    return browser
