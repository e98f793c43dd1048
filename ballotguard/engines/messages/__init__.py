"""Messages sent to candidates online: what one looks like and reading them from JSONL or CSV files
(``records``), and Bluesky's Jetstream frames (``jetstream``).

May import: ``engines.candidates`` and ``engines.common``.
"""
