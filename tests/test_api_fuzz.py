"""Schemathesis against the OpenAPI document, as every role: no 5xx and no response that breaks its
schema (issue 14). Runs on whichever database the suite runs on (SQLite, then PostgreSQL in
``make test``).

Examples per operation and role are bounded so ``make test`` stays quick (``BALLOTGUARD_FUZZ_EXAMPLES``,
default 2); the long run recorded in docs/security.md sets it higher and counts the requests in
``BALLOTGUARD_FUZZ_COUNT_FILE``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from ballotguard.accounts.models import ApiToken

EXAMPLES = int(os.environ.get("BALLOTGUARD_FUZZ_EXAMPLES", "2"))
ROLES = ["anonymous", "candidate", "staff", "ro_birmingham", "feoa_wmp", "analyst", "admin"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the WSGI application directly, and its request signals would close the
    database connection the test's transaction lives on (CONN_MAX_AGE is 0 in the test settings);
    Django's own test client disconnects the same handlers for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(world):
    headers = {"anonymous": {}}
    for role in ROLES[1:]:
        _, secret = ApiToken.issue(getattr(world.users, role), "fuzz")
        headers[role] = {"Authorization": f"Bearer {secret}"}
    return headers


def _schema():
    # Loaded at collection: the OpenAPI document needs no database. (A lazy fixture schema would keep
    # one world for all operations, but schemathesis 4.32's lazy loader needs pytest < 9.)
    from schemathesis.config import SchemathesisConfig

    from ballotguard.wsgi import application

    # The coverage phase makes every boundary case the schema defines, however many: on for the long
    # run (BALLOTGUARD_FUZZ_COVERAGE=1), off for the bounded one so ``make test`` stays quick.
    coverage = os.environ.get("BALLOTGUARD_FUZZ_COVERAGE") == "1"
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": coverage}}, "generation": {"max-examples": EXAMPLES}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)


schema = _schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_schema_violation_for_any_role(case, role_headers, db):
    for role in ROLES:
        case.call_and_validate(headers=role_headers[role], checks=[not_a_server_error, response_schema_conformance])
    if path := os.environ.get("BALLOTGUARD_FUZZ_COUNT_FILE"):
        with open(path, "a") as out:
            out.write(f"{case.operation.label}\t{len(ROLES)}\n")
