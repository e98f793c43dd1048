"""The Taskforce's figures: exact rates and intervals (``statistics``), disclosure control by suppression
or cell-key perturbation (``disclosure``, ``cellkey``), trends, disparities and coverage gaps
(``figures``), case clocks (``clocks``), outreach coverage (``outreach``), the post-election survey
(``survey``), hex maps (``hexmap``) and chart specifications (``charts``).

May import: ``engines.incidents``, ``engines.messages``, ``engines.candidates`` and ``engines.common``.
"""
