"""Insights pages: trends, disparities, coverage gaps, the map, pseudonymised records and the briefing pack."""
