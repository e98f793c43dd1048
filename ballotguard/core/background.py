"""Work handed to the task worker, by name.

Services decide *that* something runs in the background; ``tasks`` modules say *how* (and call the
services to do it). If services imported their app's tasks module, and tasks imported services, each
could only be read with the other. So services name the task they want, as a dotted path, and it is
imported only when it is enqueued: tasks depend on services, never the other way round (import-linter
checks it: ``pyproject.toml``).
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string


@cache
def task(path: str):
    """The task object at ``path`` (``"ballotguard.incidents.tasks.link_again"``): ``.enqueue(...)``,
    ``.using(run_after=...)``, ``.get_backend()`` as on the task itself."""
    return import_string(path)
