"""Helpers every engine package may use: translating text without Django (``i18n``), reading the CSV
files people upload with errors they can act on (``tabular``), and normalising place and person names so
files from different publishers join (``names``).

May import: the standard library and third-party libraries only; no other engine package (it is the
bottom layer of the ``Engine packages are layered`` import contract).
"""
