"""Handing a processor's changes to its subscribers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

C = TypeVar("C")


def notify(
    listeners: Iterable[Callable[[list[C]], object]],
    changes: list[C],
    *,
    log: logging.Logger,
    failed: str,
) -> None:
    """Give ``changes`` (when there are any) to every listener in turn. A listener that raises
    is logged as ``failed`` and skipped: a subscriber's failure must not stop the processor
    that feeds it, nor the listeners after it."""
    if not changes:
        return
    for listener in listeners:
        try:
            listener(changes)
        except Exception:
            log.exception(failed)
