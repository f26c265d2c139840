"""A processor's changes reach every subscriber, even when one of them fails."""

from __future__ import annotations

import logging

import pytest

from waymark.core.listeners import notify

log = logging.getLogger("test.listeners")


def test_every_listener_gets_the_changes_even_after_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[list[int]] = []

    def broken(changes: list[int]) -> None:
        raise RuntimeError("subscriber bug")

    with caplog.at_level(logging.ERROR, logger="test.listeners"):
        notify([broken, got.append], [1, 2], log=log, failed="a test listener failed")

    assert got == [[1, 2]]
    assert [r.getMessage() for r in caplog.records] == ["a test listener failed"]
    assert caplog.records[0].exc_info is not None


def test_no_changes_call_no_listener() -> None:
    got: list[list[int]] = []
    notify([got.append], [], log=log, failed="unused")
    assert got == []
