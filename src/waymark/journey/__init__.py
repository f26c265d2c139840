"""waymark.journey"""
