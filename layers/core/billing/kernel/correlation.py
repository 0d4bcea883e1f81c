"""The keys every log line of one piece of work carries, so that an operator can follow one change
from the API call through the stream and the queues to the webhook POST: `request_id` (API
Gateway's ID of the request that caused it, the events' `request.id`), `account`, `mode`, and
`event` / `endpoint` where there is one. Never a key, a secret or a payload.

The keys live in a context variable, so that invocations on different threads (the local stack
runs every function in one process) or tasks (the portal's ASGI app) never see each other's. A
function's logger gets them through `install`'s filter; the core's own modules log with the
standard library (`logging.getLogger(__name__)`), and their lines go through the handler of the
function whose invocation is running (`invocation`), with the same keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Protocol

_NONE: Mapping[str, str] = MappingProxyType({})
_keys: ContextVar[Mapping[str, str]] = ContextVar("vinr_log_keys", default=_NONE)
_handler: ContextVar[logging.Handler | None] = ContextVar("vinr_log_handler", default=None)
CORE_LOGGER = "billing"


class FunctionLogger(Protocol):
    """What `install` needs of a function's logger (Powertools' Logger has both)."""

    @property
    def registered_handler(self) -> logging.Handler: ...

    @property
    def log_level(self) -> int: ...


def current() -> Mapping[str, str]:
    return _keys.get()


def bind(**keys: str | None) -> None:
    """Adds `keys` (None ones left out) to the current scope's, until that scope ends."""
    given = {name: str(value) for name, value in keys.items() if value is not None and value != ""}
    if given:
        _keys.set(MappingProxyType({**_keys.get(), **given}))


@contextmanager
def scope(**keys: str | None) -> Iterator[None]:
    """A scope for one record or request: `keys` and whatever is bound inside it end with it."""
    token = _keys.set(_keys.get())
    try:
        bind(**keys)
        yield
    finally:
        _keys.reset(token)


@contextmanager
def invocation(logger: FunctionLogger, **keys: str | None) -> Iterator[None]:
    """One invocation of a function: the core's log lines go to `logger`'s handler meanwhile."""
    handler_token = _handler.set(logger.registered_handler)
    try:
        with scope(**keys):
            yield
    finally:
        _handler.reset(handler_token)


class CorrelationFilter(logging.Filter):
    """Puts the current keys on every record (a key the line gives itself is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _keys.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class _ToRunningFunction(logging.Handler):
    """The core's handler: hands each line to the running invocation's handler (the last
    installed one outside an invocation, as at import)."""

    def __init__(self) -> None:
        super().__init__()
        self.fallback: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        target = _handler.get() or self.fallback
        if target is not None and record.levelno >= target.level:
            target.handle(record)


class _NotTheCore(logging.Filter):
    """On the root logger's handlers (the Lambda runtime's plain-text one): the core's lines are
    printed once, as JSON, by `_CORE`. Powertools does the same for its own loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == CORE_LOGGER or record.name.startswith(f"{CORE_LOGGER}."))


_FILTER = CorrelationFilter()
_CORE = _ToRunningFunction()
_NOT_THE_CORE = _NotTheCore()


def install(logger: FunctionLogger) -> None:
    """Gives `logger`'s lines the current keys, and sends the core's lines through it too."""
    handler = logger.registered_handler
    if _FILTER not in handler.filters:
        handler.addFilter(_FILTER)
    _CORE.fallback = handler
    core = logging.getLogger(CORE_LOGGER)
    if _CORE not in core.handlers:
        core.addHandler(_CORE)
    core.setLevel(logger.log_level)
    for root_handler in logging.getLogger().handlers:
        # pytest's capture handler keeps seeing them (its caplog fixture), as Powertools allows
        if type(root_handler).__name__ != "LogCaptureHandler" and _NOT_THE_CORE not in root_handler.filters:
            root_handler.addFilter(_NOT_THE_CORE)
