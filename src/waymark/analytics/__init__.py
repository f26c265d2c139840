"""waymark.analytics"""
