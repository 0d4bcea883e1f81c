"""A handler module's imports with the cyclic garbage collector paused.

What a cold start imports lives as long as the process: modules, classes, functions, compiled
validators. Collecting while they are made scans them over and over and finds next to no garbage
(a few hundred objects in cycles among 65,000-90,000): an eighth of the merchant API's import
was its collections, a full one included. `collector_paused` runs the imports without collecting,
then freezes every object alive (`gc.freeze`: no later collection scans them either, so nothing
is left for the first request to pay) and resumes the collector. What is frozen is never
collected as cyclic garbage: the imports' few hundred objects in cycles are kept for the
process's life, and in a process that runs more than a handler (the tests, the local stack) so
is whatever was alive then and later ends in a cycle. Refcounting frees everything else as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses the collector for the block (unless someone else already has) and freezes what is
    alive when it ends well. Another thread allocating meanwhile does so without collections too."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()
