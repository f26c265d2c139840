"""waymark.runtime"""
