"""Storage adapters. ``open_store`` gives the embedded default (DuckDB in a data directory)."""
