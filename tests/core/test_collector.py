"""Pauses of the cyclic collector, entered and left in any interleaving (as threads do), never
leave it off once all have ended, and keep it off while the first of them runs alone."""

from __future__ import annotations

import gc

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
