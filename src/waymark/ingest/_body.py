"""Request bodies: size limits and gzip, with a hard cap against decompression bombs."""

from __future__ import annotations

import zlib

from waymark.ingest.errors import BatchTooLarge, InvalidBody


def decode_content(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """The body as JSON bytes: gunzipped when ``Content-Encoding`` says gzip (or the bytes
    start with the gzip magic), never larger than ``max_bytes``."""
    encoding = (content_encoding or "").strip().lower()
    gzipped = encoding in ("gzip", "x-gzip") or body[:2] == b"\x1f\x8b"
    if encoding and encoding not in ("gzip", "x-gzip", "identity"):
        raise InvalidBody(f"unsupported Content-Encoding {content_encoding!r}; use gzip")
    if not gzipped:
        if len(body) > max_bytes:
            raise BatchTooLarge(f"body is {len(body)} bytes; at most {max_bytes} allowed")
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise InvalidBody(f"body is not valid gzip: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise BatchTooLarge(f"decompressed body exceeds {max_bytes} bytes")
    if not inflater.eof:
        raise InvalidBody("body is truncated gzip")
    return out
