"""waymark.cli"""
