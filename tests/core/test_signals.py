"""The outside-signal mask: the same answer as the per-event rule, on plain and
dictionary-encoded columns and across chunks with different dictionaries."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.core.signals import OUTSIDE_SIGNAL, is_outside_signal, signal_mask

rows = st.lists(
    st.tuples(
        st.sampled_from(["track", "page", "identify", None]),
        st.sampled_from([OUTSIDE_SIGNAL, "Product Viewed", "outside signal", None]),
    ),
    max_size=30,
)


@settings(deadline=None)
@given(chunks=st.lists(rows, min_size=1, max_size=4))
def test_mask_equals_the_per_event_rule(chunks: list[list[tuple[str | None, str | None]]]) -> None:
    flat = [r for chunk in chunks for r in chunk]
    want = [t is not None and is_outside_signal(t, e) for t, e in flat]
    plain = pa.table({"type": [t for t, _ in flat], "event": [e for _, e in flat]},
                     schema=pa.schema([("type", pa.string()), ("event", pa.string())]))  # fmt: skip
    assert signal_mask(plain).to_pylist() == want

    def encoded(i: int) -> pa.ChunkedArray:
        return pa.chunked_array(
            [pc.dictionary_encode(pa.array([r[i] for r in c], pa.string())) for c in chunks]
        )

    coded = pa.table({"type": encoded(0), "event": encoded(1)})
    assert signal_mask(coded).to_pylist() == want
