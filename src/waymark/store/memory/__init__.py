"""In-memory reference backend (tests, and the second backend of the shared store suite)."""
