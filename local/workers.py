"""Functions run in worker processes, as Lambda runs each function in containers of its own.

In the gateway's own process, one function serves one request at a time (Powertools keeps the
current event on the resolver) and every function shares one interpreter's lock. With workers,
each function has `count` processes, each a warm "container" taking one event at a time, so
requests to one function run side by side and the functions use every core. Events and answers
cross as pickled dicts over a pipe; a handler's exception is printed by its worker (as Lambda's
log would show it) and raised in the gateway as `WorkerFailed`.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from local.template import Function


class WorkerFailed(Exception):
    """The handler raised (the worker printed its traceback), or the worker died."""


def _serve(connection: Connection, function: Function) -> None:
    """A worker's life: import the handler once, then answer one event at a time until closed."""
    from local import invoke
    from local.processes import die_with_parent

    die_with_parent()
    handler = invoke.load_handler(function)
    connection.send(("ready", None))
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        try:
            answer = handler(event, invoke.LambdaContext(function.name))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            connection.send(("error", None))
            continue
        connection.send(("ok", answer))


class FunctionWorkers:
    """`count` worker processes of one function; `invoke` hands an event to an idle one."""

    def __init__(self, function: Function, count: int) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited locks or clients
        self.function = function
        self._idle: queue.Queue[tuple[Any, Connection]] = queue.Queue()
        self._all: list[tuple[Any, Connection]] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(theirs, function), name=f"worker-{function.name}", daemon=True
            )
            process.start()
            theirs.close()
            self._all.append((process, mine))
        for process, connection in self._all:  # each imported its handler: warm, as after a cold start
            status, _ = connection.recv()
            if status != "ready":
                raise WorkerFailed(f"a worker of {function.name} did not start")
            self._idle.put((process, connection))

    def invoke(self, event: dict[str, Any]) -> Any:
        process, connection = self._idle.get()
        try:
            connection.send(event)
            status, answer = connection.recv()
        except (EOFError, OSError) as error:
            raise WorkerFailed(f"a worker of {self.function.name} died: {error}") from error
        finally:
            self._idle.put((process, connection))
        if status != "ok":
            raise WorkerFailed(f"{self.function.name}'s handler raised (its traceback is above)")
        return answer

    def stop(self) -> None:
        for process, connection in self._all:
            connection.close()
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


class WorkerPools:
    """The worker pools of a gateway's functions, all started by `start`: on a thread that lives
    as long as they do (a worker ends with the thread that started it: `die_with_parent`)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pools: dict[str, FunctionWorkers] = {}

    def start(self, functions: list[Function]) -> None:
        for function in functions:
            if function.logical_id not in self._pools:
                self._pools[function.logical_id] = FunctionWorkers(function, self.count)

    def invoke(self, function: Function, event: dict[str, Any]) -> Any:
        return self._pools[function.logical_id].invoke(event)

    def stop(self) -> None:
        for pool in self._pools.values():
            pool.stop()
        self._pools.clear()
