"""The local stack as `make dev` starts it, for the tests that drive it over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from local.template import ROOT
from tests.support.motoserver import free_ports

# An `expect` waits this long for what a page should show (Playwright's default is 5 s): a page's
# first request imports its part of the portal and the stack's first email builds its SES client,
# which a shared 2-core CI machine has taken longer than 5 s to do. A passing check waits no longer.
expect.set_options(timeout=20_000)

# Debian's Chromium, started as this machine allows (no sandbox as root, no background calls out).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = re.compile(r"secret key\s+(sk_test_[A-Za-z0-9]{32})")


@dataclass
class Running:
    process: subprocess.Popen[str]
    api: str
    portal: str
    key: str
    output: list[str]
    stripe: str = ""  # localstripe's URL (the payment gateway; Stripe.js at /js.stripe.com/v3/)
    reader: threading.Thread | None = None
    errors: list[str] | None = None
    error_reader: threading.Thread | None = None

    def finish(self, timeout: float = 30) -> tuple[str, str]:
        """Everything it printed (stdout, stderr) once it has exited."""
        self.process.wait(timeout=timeout)
        for reader in (self.reader, self.error_reader):
            if reader is not None:
                reader.join(timeout=timeout)
        return "".join(self.output), "".join(self.errors or [])

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first line printed (before or after `ready`) that matches `pattern`."""
        return _wait_for(self.output, pattern, timeout)

    def wait_for_error(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The same on what it printed on stderr (the gateways' access lines)."""
        return _wait_for(self.errors or [], pattern, timeout)


def _wait_for(lines: list[str], pattern: str, timeout: float) -> re.Match[str]:
    wanted = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(lines):
            found = wanted.search(line)
            if found:
                return found
        time.sleep(0.1)
    raise AssertionError(f"nothing printed matched {pattern!r} in {timeout} s:\n{''.join(lines)}")


def start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "local.dev", "--stack-file", str(tmp_path / "stack.json"), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """The stack with its demo account on test mode's simulator (test tokens, typed test cards)."""
    yield from _run(tmp_path, "simulator")


@pytest.fixture
def running_stripe(tmp_path: Path) -> Iterator[Running]:
    """The stack as `make dev` starts it: the demo account's test mode connected to localstripe."""
    yield from _run(tmp_path, "stripe")


def _run(tmp_path: Path, demo_gateway: str) -> Iterator[Running]:
    ports = free_ports(6)
    process = start(
        tmp_path,
        *("--moto-port", str(ports[0]), "--api-port", str(ports[1])),
        *("--portal-port", str(ports[2]), "--receiver-port", str(ports[3])),
        *("--stripe-port", str(ports[4]), "--demo-gateway", demo_gateway),
        *("--dynamodb-port", str(ports[5])),
    )
    output: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.strip() == "ready":
            break
    text = "".join(output)
    found = KEY.search(text)
    assert found, f"no key printed:\n{text}\n{process.stderr.read() if process.poll() is not None else ''}"
    # keep reading what the stack prints (the webhook receiver's lines) for `wait_for`
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    # and its stderr (the gateway's request lines), so a full pipe never blocks it
    errors: list[str] = []
    error_reader = threading.Thread(target=lambda: errors.extend(iter(process.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    error_reader.start()
    yield Running(
        process,
        f"http://127.0.0.1:{ports[1]}",
        f"http://127.0.0.1:{ports[2]}",
        found.group(1),
        output,
        f"http://127.0.0.1:{ports[4]}",
        reader,
        errors,
        error_reader,
    )
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
