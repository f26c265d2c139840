"""Plain-Python references the vectorised funnel is checked against.

``window_funnel`` transcribes ClickHouse's ``windowFunnel`` walk (non-``strict_once`` path) for
one group, plus Waymark's exclusion rule, so the tests can check it against chdb on the cases
chdb understands and then use it where chdb has no equivalent (exclusions).
"""

from __future__ import annotations

from collections.abc import Sequence


def window_funnel(
    events: Sequence[tuple[int, frozenset[int]]],
    n_steps: int,
    window: int,
    *,
    strict_order: bool = False,
    strict_deduplication: bool = False,
    exclusions: Sequence[tuple[int, int, int]] = (),
) -> int:
    """``events``: (time, steps matched, 1-based). ``exclusions``: (time, after, before)."""
    pairs: list[tuple[int, int]] = []
    for t, steps in events:
        if steps:
            pairs.extend((t, s) for s in steps)
        elif strict_order:
            pairs.append((t, 0))
    if not pairs:
        return 0
    if not strict_order and n_steps == 1:
        return 1
    pairs.sort()
    level_at: list[tuple[int, int] | None] = [None] * n_steps  # (first, last) per level
    usable: list[tuple[int, int] | None] = [None] * n_steps  # for extending, after exclusions
    pending = sorted(exclusions)
    first_event = False

    def reached() -> int:
        return sum(1 for x in level_at if x is not None)

    for t, cond in pairs:
        # exclusions that happened strictly before this row's time
        while pending and pending[0][0] < t:
            tx, after, before = pending.pop(0)
            for lv in range(after, before):  # chains at step lv may not go on to lv+1
                u = usable[lv - 1]
                if u is not None and u[1] < tx:
                    usable[lv - 1] = None
        idx = cond - 1
        if strict_order and idx == -1:
            if first_event:
                break
            continue
        if idx == 0:
            level_at[0] = usable[0] = (t, t)
            first_event = True
        elif (strict_deduplication and level_at[idx] is not None) or (
            strict_order and first_event and level_at[idx - 1] is None
        ):
            return reached()
        elif (prev := usable[idx - 1]) is not None and t <= prev[0] + window:
            level_at[idx] = usable[idx] = (prev[0], t)
            if idx + 1 == n_steps:
                return n_steps
    return reached()


def any_order(events: Sequence[tuple[int, frozenset[int]]], window: int) -> int:
    """The most distinct steps matched within one window ``[t, t + window]``."""
    best = 0
    for start, _ in events:
        seen: set[int] = set()
        for t, steps in events:
            if start <= t <= start + window:
                seen |= steps
        best = max(best, len(seen))
    return best
