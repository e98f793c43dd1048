"""Scoring messages sent to candidates: the abuse model and its training (``model``, ``training``,
``embeddings``, ``finetuned``, ``finetuned_train``, ``finetuned_int8``, ``cascade``), threat rules and the learned threat scorer
(``threats``, ``threat_model``, ``threat_training``), a candidate's own details found in a message
(``exposure``), and one score per message from all three (``scoring``). The committed model artefacts
are in ``models/``; the model cards are ``docs/model-card-abuse.md`` and ``docs/model-card-threats.md``.

May import: ``engines.messages``, ``engines.incidents``, ``engines.candidates`` and ``engines.common``.
"""
