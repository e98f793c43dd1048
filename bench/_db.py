"""A fresh, throwaway database for a benchmark run: a temporary SQLite file, or a PostgreSQL database
created and dropped around the run."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def fresh_database(database_url: str = ""):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ballotguard.test_settings")
    created_pg = None
    with tempfile.TemporaryDirectory() as tmp:
        if database_url.startswith("postgres"):
            import psycopg

            parsed = urlparse(database_url)
            name = f"bg_bench_{uuid.uuid4().hex[:8]}"
            admin_url = urlunparse(parsed._replace(path="/postgres"))
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            created_pg = (admin_url, name)
            os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("BALLOTGUARD_VAR_DIR", tmp)
        import django
        from django.core.management import call_command

        django.setup()
        # Bench settings: the real hasher is irrelevant here, DEBUG off so queries are not recorded.
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        call_command("migrate", verbosity=0)
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()
            if created_pg:
                import psycopg

                admin_url, name = created_pg
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
