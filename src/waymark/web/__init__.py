"""waymark.web"""
