"""What `make dev` prints on standard output, a whole line at a time.

`print` writes a line's text and its newline in two writes, so lines printed from two threads
at once (the banner's `ready` and the webhook receiver's lines) could end up on one line, and a
reader waiting for the line `ready` would never see it."""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()


def say(text: str) -> None:
    """`text` and its newline, in one write, flushed."""
    with _lock:
        sys.stdout.write(f"{text}\n")
        sys.stdout.flush()
