"""Insights forms: filters and the reason asked before a pseudonym is revealed."""
