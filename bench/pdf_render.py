"""Invoice PDF render time ÷ a bare reportlab canvas page (one string, saved), in one run."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from bench.harness import median, table


def _bare_page() -> None:
    from reportlab.pdfgen import canvas

    target = io.BytesIO()
    page = canvas.Canvas(target)
    page.drawString(72, 720, "Invoice")
    page.save()


def _seconds(work: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return median(samples)


def measure(runs: int) -> str:
    from billing import pdf
    from tests.support.invoices import SAMPLE_BRANDING, SAMPLE_INVOICE

    pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING)  # fonts registered, modules warm: both sides measured warm
    _bare_page()
    rounds = max(runs, 15)
    invoice = _seconds(lambda: pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING), rounds)
    bare = _seconds(_bare_page, rounds)
    return table(
        f"Invoice PDF render ÷ bare reportlab canvas page (warm, median of {rounds})",
        ["invoice ms", "bare page ms", "ratio"],
        [[f"{invoice * 1000:.2f}", f"{bare * 1000:.2f}", f"{invoice / bare:.1f}"]],
    )
