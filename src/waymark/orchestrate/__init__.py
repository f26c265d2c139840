"""waymark.orchestrate"""
