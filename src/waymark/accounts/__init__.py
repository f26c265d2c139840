"""Accounts: companies, schools and households from group calls, each with a journey per
product derived from its members, and a buying group."""
