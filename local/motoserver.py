"""moto's server for the local stack's SQS, Secrets Manager and SES, without its per-request
directory listing.

moto's dispatcher works out which of its services a request is for from the request, then
which backend serves that service's host by listing its package's directories (about two
hundred `isdir` calls) at every request, under a lock every request takes. The answer for a
host never changes, so it is remembered; what moto answers is unchanged.
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves each host."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        # (called under the dispatcher's own lock: `get_application` holds it)
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class MotoServer(ThreadedMotoServer):
    """`ThreadedMotoServer` on 127.0.0.1:`port`, dispatching with `Dispatcher`."""

    def __init__(self, port: int) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, Dispatcher(), True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
