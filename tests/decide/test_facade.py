"""The facade exports what it says, and only public names."""

from __future__ import annotations

from waymark.decide import api


def test_all_names_exist_and_are_public() -> None:
    for name in api.__all__:
        assert hasattr(api, name), name
        assert not name.startswith("_")
    assert sorted(api.__all__) == sorted(set(api.__all__))
