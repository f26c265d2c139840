"""Ingest errors. Codes are stable; clients (the Segment and RudderStack SDKs) read
``code`` and ``message`` from error bodies."""

from __future__ import annotations

from waymark.core.errors import PayloadTooLarge, ValidationError


class InvalidMessage(ValidationError):
    code = "ingest.invalid_message"


class MessageTooLarge(PayloadTooLarge):
    code = "ingest.message_too_large"


class BatchTooLarge(PayloadTooLarge):
    code = "ingest.batch_too_large"


class InvalidBody(ValidationError):
    code = "ingest.invalid_body"
