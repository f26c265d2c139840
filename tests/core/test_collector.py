"""Pauses of the cyclic collector, entered and left in any interleaving (as threads do), never
leave it off once all have ended, and keep it off while the first of them runs alone."""

from __future__ import annotations

import gc
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.core import collector


@st.composite
def interleavings(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Enter/exit steps of up to five pauses, each entered before it is left."""
    count = draw(st.integers(1, 5))
    steps = [(kind, n) for n in range(count) for kind in ("enter", "exit")]
    order = draw(st.permutations(steps))
    entered: set[int] = set()
    out: list[tuple[str, int]] = []
    pending = list(order)
    while pending:  # keep the drawn order, but move an exit after its enter
        for i, (kind, n) in enumerate(pending):
            if kind == "enter" or n in entered:
                out.append(pending.pop(i))
                if kind == "enter":
                    entered.add(n)
                break
    return out


@given(interleavings())
def test_interleaved_pauses_never_leave_the_collector_off(steps: list[tuple[str, int]]) -> None:
    assert gc.isenabled()
    pauses = {n: collector.paused() for _, n in steps}
    try:
        for kind, n in steps:
            if kind == "enter":
                pauses[n].__enter__()
                assert not gc.isenabled()
            else:
                pauses[n].__exit__(None, None, None)
        assert gc.isenabled()
    finally:
        gc.enable()


def test_a_pause_starting_as_another_ends_cannot_leave_the_collector_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the interleaving a thread switch can make: D reads the setting (off, A's pause runs),
    # A's pause ends, then D turns the collector off; D found it off, so would never turn it
    # back on. The switch is forced here by a hook in gc.isenabled.
    assert gc.isenabled()
    a_inside, a_may_exit, a_exited = threading.Event(), threading.Event(), threading.Event()
    real_isenabled = gc.isenabled

    def switch_to_a_after_reading() -> bool:
        value = real_isenabled()
        if threading.current_thread().name == "D":
            a_may_exit.set()
            a_exited.wait(timeout=2)
        return value

    def a() -> None:
        with collector.paused():
            a_inside.set()
            a_may_exit.wait(timeout=10)
        a_exited.set()

    def d() -> None:
        with collector.paused():
            a_may_exit.set()  # a pause that does not read the setting lets A go on here

    first = threading.Thread(target=a, name="A")
    first.start()
    assert a_inside.wait(timeout=10)
    monkeypatch.setattr(gc, "isenabled", switch_to_a_after_reading)
    second = threading.Thread(target=d, name="D")
    second.start()
    second.join(timeout=10)
    first.join(timeout=10)
    monkeypatch.undo()
    try:
        assert gc.isenabled()
    finally:
        gc.enable()
