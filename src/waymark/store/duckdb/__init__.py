"""The embedded default backend: one DuckDB file in the data directory."""
