"""Next best experience: which content, offer, message or script a customer should get on a
channel now, from their journey stage, under suppression, contact, consent and holdout
policies, ranked by learned propensity x context weight x value x lever, with a reason.

Import ``waymark.decide.api`` (the facade) and ``waymark.decide.contracts`` only.
"""
