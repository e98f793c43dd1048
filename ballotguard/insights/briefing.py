"""The briefing pack: a dated OFFICIAL-SENSITIVE PDF of the headline figures, charts, tables, methods and caveats."""
