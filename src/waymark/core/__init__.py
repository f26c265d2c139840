"""The pure domain core: plain data and functions, no I/O."""
