"""Customer control: consent per channel and purpose, export and erasure of a person's data,
and the request log that proves it was done."""
