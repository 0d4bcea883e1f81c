"""Keys derived from the deploy-time secret (Secrets Manager), one per purpose, per container.

`derive("fingerprint")` is the pepper of payment-method fingerprints; `derive("cookie")` signs
portal cookies. HKDF-SHA256 (RFC 5869) with the purpose as `info`, so one secret serves all
purposes and no derived key reveals another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from functools import lru_cache

from billing.kernel import config
from billing.store import repository

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _master(secret_arn: str) -> bytes:
    with _lock:
        document = json.loads(repository.secret_string(secret_arn))
    return str(document["master"]).encode()


def hkdf_sha256(key_material: bytes, info: bytes, length: int = 32, salt: bytes = b"vinr-portal") -> bytes:
    prk = hmac.new(salt, key_material, hashlib.sha256).digest()
    blocks, previous = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        previous = hmac.new(prk, previous + info + bytes([counter]), hashlib.sha256).digest()
        blocks += previous
    return blocks[:length]


def derive(purpose: str) -> bytes:
    return hkdf_sha256(_master(config.settings().key_material_secret_arn), purpose.encode())


def reset() -> None:
    _master.cache_clear()
