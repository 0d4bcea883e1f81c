"""`make bench`: every measure, one table each.

python -m bench [--runs 15] [--only import_time]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench import aws_calls, import_time, pdf_render, portal_pages, portal_session, webhooks

MEASURES: dict[str, Callable[[int], str]] = {
    "import_time": import_time.measure,
    "aws_calls": aws_calls.measure,
    "pdf_render": pdf_render.measure,
    "portal_session": portal_session.measure,
    "portal_pages": portal_pages.measure,
    "webhooks": webhooks.measure,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--runs", type=int, default=15, help="repetitions for medians (at least 15 for the record)")
    parser.add_argument("--only", choices=sorted(MEASURES), action="append")
    args = parser.parse_args()
    for name in args.only or list(MEASURES):
        print(MEASURES[name](args.runs), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
