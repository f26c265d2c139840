"""waymark.api"""
