"""waymark.sim"""
