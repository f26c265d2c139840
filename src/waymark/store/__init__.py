"""waymark.store"""
