"""waymark.ingest"""
