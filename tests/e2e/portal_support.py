"""What the portal's browser tests share: Chromium, a merchant on the local stack, signed-in
pages with or without JavaScript, at any width, and axe-core's verdict on a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.conftest import Running

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
SERIOUS = ("serious", "critical")
_axe = Axe()


@dataclass
class Merchant:
    """The demo account of the running stack, through its API."""

    running: Running
    api: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.api = httpx.Client(
            base_url=self.running.api, headers={"Authorization": f"Bearer {self.running.key}"}, timeout=30
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def customer(self, name: str = "Browser Customer", **fields: Any) -> str:
        return str(self.call("POST", "/v1/customers", json={"name": name, "email": "b@example.com", **fields})["id"])

    def session(self, customer: str, **fields: Any) -> dict[str, Any]:
        body = {"customer": customer, "returnUrl": f"{self.running.api}/health", **fields}
        return dict(self.call("POST", "/v1/billing/portal_sessions", json=body))

    def events(self, customer: str, type_: str) -> list[dict[str, Any]]:
        found = self.call("GET", "/v1/events", params={"customer": customer, "type": type_, "limit": 100})
        return list(found["data"])


def signed_in(
    browser: Browser,
    running: Running,
    url: str,
    *,
    javascript: bool = True,
    width: int = 1024,
    locale: str | None = None,
) -> tuple[BrowserContext, Page]:
    """A page signed in by following `url` (the exchange needs its one script), then, with
    `javascript=False`, a context that carries the cookie and runs no script at all."""
    options: dict[str, Any] = {"viewport": {"width": width, "height": 800}}
    if locale:
        options["locale"] = locale
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(url)
    page.wait_for_url(f"{running.portal}/**")
    if javascript:
        return context, page
    state = context.storage_state()
    context.close()
    context = browser.new_context(storage_state=state, java_script_enabled=False, **options)
    page = context.new_page()
    page.goto(f"{running.portal}/")
    return context, page


def assert_accessible(page: Page, name: str) -> None:
    """axe-core finds no serious or critical violation; saves the page's screenshot as `name`."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']]}" for v in bad
    )


def fits_width(page: Page) -> bool:
    """Nothing scrolls sideways at this viewport width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
