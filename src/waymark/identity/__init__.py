"""Identity resolution: one profile per person across devices and channels.

Other packages use ``waymark.identity.api`` (the facade) and ``waymark.identity.contracts``.
"""
