"""Finding accounts that act together across constituencies: the detector and its significance test
(``detection``), reading actions from the files analysts bring (``readers``), and the same stages on
Apache Spark (``spark``). See ``docs/coordination.md``.

May import: ``engines.messages``, ``engines.incidents``, ``engines.candidates`` and ``engines.common``.
"""
