"""Waymark: a self-hosted customer-journey platform.

Layers, innermost first (enforced by import-linter, see pyproject.toml):

- ``core``: pure domain data and functions (events, errors, clock, ports). No I/O.
- features: ``ingest``, ``identity``, ``journey``, ``decide``, ``orchestrate``, ``analytics``,
  ``sim``. Each exposes a small facade in ``api.py`` and frozen contracts in ``contracts.py``.
- ``runtime``: composes the features over the storage ports (the processing pipeline).
- adapters: ``store`` (DuckDB, in-memory), ``api`` (HTTP), ``web`` (dashboard), ``cli``.
"""

__version__ = "0.1.0"
