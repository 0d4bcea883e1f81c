import pytest

from billing.kernel.errors import InvalidRequest
from billing.kernel.metadata import MAX_KEYS, merge_metadata


def test_keys_merge_and_an_empty_or_null_value_removes_one() -> None:
    current = {"crm": "42", "tier": "gold", "note": "x"}
    assert merge_metadata(current, {"crm": "43", "tier": "", "note": None, "new": 7}) == {"crm": "43", "new": "7"}
    assert current == {"crm": "42", "tier": "gold", "note": "x"}  # the stored one is not changed in place


def test_more_than_the_most_keys_is_refused_naming_metadata() -> None:
    full = {f"k{n}": "v" for n in range(MAX_KEYS)}
    assert merge_metadata(full, {"k0": "w"})["k0"] == "w"
    with pytest.raises(InvalidRequest) as refused:
        merge_metadata(full, {"one_more": "v"})
    assert refused.value.param == "metadata" and f"at most {MAX_KEYS} keys" in str(refused.value)
