"""waymark.identity"""
