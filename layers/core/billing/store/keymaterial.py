"""Keys derived from the deploy-time secret (Secrets Manager), one per purpose, per container.

`derive("fingerprint", account, mode)` keys the payment-method fingerprints of one account and
mode; `derive("cookie")` signs portal cookies. HKDF-SHA256 (RFC 5869) with the purpose (and its
context, such as an account and a mode) as `info`, so one secret serves all purposes and
tenants, and no derived key reveals another.
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


def derive(purpose: str, *context: str) -> bytes:
    """The key of `purpose`, or of `purpose` for one `context` (an account ID and a mode)."""
    return hkdf_sha256(_master(config.settings().key_material_secret_arn), info_for(purpose, *context))


def info_for(purpose: str, *context: str) -> bytes:
    """HKDF `info`: the purpose alone (the keys derived before contexts existed stay as they
    were), or the purpose, a NUL and each part length-prefixed, so that no two contexts, nor a
    context and a bare purpose, share one."""
    if not purpose or "\0" in purpose:
        raise ValueError("a purpose is a non-empty name without NUL")
    if not context:
        return purpose.encode()
    parts = [part.encode() for part in context]
    return purpose.encode() + b"\0" + b"".join(len(part).to_bytes(2, "big") + part for part in parts)


def reset() -> None:
    _master.cache_clear()
