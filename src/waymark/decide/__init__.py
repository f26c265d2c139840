"""waymark.decide"""
