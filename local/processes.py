"""What the local stack's child processes share: they end with the process that started them."""

from __future__ import annotations

import signal
import sys


def die_with_parent() -> None:
    """In a child: the kernel ends it when the process that started it dies, even by SIGKILL (a
    test's stack killed at teardown otherwise left its children behind, a 280 MB JVM each).
    Strictly, when the *thread* that started it ends: start children from a long-lived thread."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
