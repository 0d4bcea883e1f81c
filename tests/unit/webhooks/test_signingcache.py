"""The deliver worker's signing data: by scope and endpoint, enabled endpoints only, bounded,
least recently used dropped first, and never a secret in its repr."""

from __future__ import annotations

from billing.kernel.scope import Scope
from billing.webhooks.signingcache import SigningCache
from tests.unit.webhooks.test_store import SCOPE, endpoint


def test_it_keeps_an_enabled_endpoints_signing_data_by_scope() -> None:
    cache = SigningCache()
    kept = cache.keep(SCOPE, endpoint())
    assert cache.get(SCOPE, "we_1") == kept
    assert (kept.endpoint, kept.version, kept.url) == ("we_1", 2, "https://hooks.example.com/vinr")
    assert kept.live_secrets(1_999) == ["whsec_new", "whsec_old"]
    assert kept.live_secrets(2_000) == ["whsec_new"]
    # another account's (or mode's) endpoint of the same ID is not this one
    assert cache.get(Scope("acct_2", "test"), "we_1") is None
    assert cache.get(Scope("acct_1", "live"), "we_1") is None


def test_a_disabled_endpoint_is_not_kept_and_replaces_what_was() -> None:
    cache = SigningCache()
    cache.keep(SCOPE, endpoint())
    cache.keep(SCOPE, endpoint(disabled=True, version=3))
    assert cache.get(SCOPE, "we_1") is None and len(cache) == 0
    cache.keep(SCOPE, endpoint(version=4))
    cache.forget(SCOPE, "we_1")
    assert cache.get(SCOPE, "we_1") is None


def test_it_holds_at_most_its_size_dropping_the_least_recently_used() -> None:
    cache = SigningCache(size=2)
    for n in (1, 2):
        cache.keep(SCOPE, endpoint(id=f"we_{n}"))
    assert cache.get(SCOPE, "we_1") is not None  # we_1 used since we_2 was kept
    cache.keep(SCOPE, endpoint(id="we_3"))
    assert len(cache) == 2
    assert [cache.get(SCOPE, f"we_{n}") is not None for n in (1, 2, 3)] == [True, False, True]


def test_no_secret_is_ever_in_its_repr() -> None:
    cache = SigningCache()
    kept = cache.keep(SCOPE, endpoint())
    for text in (repr(cache), str(cache), repr(kept), str(kept)):
        assert "whsec_" not in text
    assert "we_1" in repr(kept)
