"""Invoice PDF render time ÷ a bare reportlab canvas page (one string, saved), in one run."""

from __future__ import annotations

import io

from bench.harness import median_seconds, table


def _bare_page() -> None:
    from reportlab.pdfgen import canvas

    target = io.BytesIO()
    page = canvas.Canvas(target)
    page.drawString(72, 720, "Invoice")
    page.save()


def measure(runs: int) -> str:
    from billing.invoicing import pdf
    from tests.support.invoices import SAMPLE_BRANDING, SAMPLE_INVOICE

    pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING)  # fonts registered, modules warm: both sides measured warm
    _bare_page()
    rounds = max(runs, 15)
    invoice = median_seconds(lambda: pdf.render(SAMPLE_INVOICE, SAMPLE_BRANDING), rounds)
    bare = median_seconds(_bare_page, rounds)
    return table(
        f"Invoice PDF render ÷ bare reportlab canvas page (warm, median of {rounds})",
        ["invoice ms", "bare page ms", "ratio"],
        [[f"{invoice * 1000:.2f}", f"{bare * 1000:.2f}", f"{invoice / bare:.1f}"]],
    )
