"""Delivery channels: email over SMTP, signed webhooks, the in-app inbox. Each shares the
batching and error-mapping base in ``_base``."""
