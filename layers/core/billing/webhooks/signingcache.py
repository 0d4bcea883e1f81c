"""What the deliver worker keeps of each endpoint between deliveries: its signing data, by version.

A delivery signs with the cached URL and secrets of an endpoint's version without reading the
endpoint, because its claim checks that version against the stored endpoint in the same
transaction (`billing.webhooks.store.claim_delivery`): a roll, a disable, a delete or a new URL
moves the version on (or removes the item), the claim is refused, and the delivery goes on
with the endpoint as it now stands. The cache saves the read, never the check.

Only enabled endpoints are kept, at most `size` of them, the least recently used dropped
first. Nothing here prints a secret (`Signing`'s repr leaves them out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from billing.kernel.scope import Scope
from billing.webhooks.records import Secret, WebhookEndpoint, live_secrets

DEFAULT_SIZE = 512


@dataclass(frozen=True, slots=True)
class Signing:
    """An enabled endpoint's signing data at one version."""

    endpoint: str
    version: int
    url: str
    secrets: tuple[Secret, ...] = field(repr=False)

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> Signing:
        return cls(endpoint.id, endpoint.version, endpoint.url, endpoint.secrets)

    def live_secrets(self, now_epoch: int) -> list[str]:
        return live_secrets(self.secrets, now_epoch)


class SigningCache:
    """Signing data by (account, mode, endpoint), bounded; safe to share between threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str, str], Signing] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"SigningCache({len(self)} of {self.size})"

    def get(self, scope: Scope, endpoint_id: str) -> Signing | None:
        key = (scope.account_id, scope.mode, endpoint_id)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def keep(self, scope: Scope, endpoint: WebhookEndpoint) -> Signing:
        """The endpoint's signing data, kept while it is enabled (a disabled one is forgotten)."""
        signing = Signing.of(endpoint)
        key = (scope.account_id, scope.mode, endpoint.id)
        with self._lock:
            self._entries.pop(key, None)
            if not endpoint.disabled:
                self._entries[key] = signing
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return signing

    def forget(self, scope: Scope, endpoint_id: str) -> None:
        with self._lock:
            self._entries.pop((scope.account_id, scope.mode, endpoint_id), None)
