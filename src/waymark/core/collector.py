"""Pausing Python's cyclic garbage collector around bulk work on long-lived derived state.

The features' streaming state (identity's graph and profiles, journeys' machines and evidence,
lead scores) is millions of small containers that never form garbage cycles; every collector
pass over them is wasted work, and passes come more often the more is allocated (measured:
resolving 200k events ran 35% slower with the collector on, an identity rebuild 8x slower at
1M events, and about 30% of processing a committed group of the load's messages was collector
passes). Reference counting still frees everything as usual. The previous setting is
restored, so nesting works. Threads pausing at once (the writer's processing beside a rebuild)
share one process-wide switch: one may run with the collector back on before it is done
(slower, never wrong), but it cannot be left off, because whichever pause found it on turns it
back on when it ends, and a pause only finds it off while such a pause is still running.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
