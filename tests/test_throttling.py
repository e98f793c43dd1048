"""Rate limits per user and per address: 429 with Retry-After and a message (issue 14)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import signed_in_client


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_sign_in_is_limited_per_username_and_per_address(world, settings):
    settings.BALLOTGUARD_RATE_LIMITS = {"sign_in_username": "3/min", "sign_in_address": "5/min"}
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.post("/sign-in", {"username": "Feoa-Met", "password": "wrong"}).status_code == 200
    response = client.post("/sign-in", {"username": "feoa-met", "password": "wrong"})
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    assert "too many attempts to sign in" in response.content.decode()
    # Another username from the same address still has its own two tries before the address limit.
    assert client.post("/sign-in", {"username": "other", "password": "x"}).status_code == 200
    assert client.post("/sign-in", {"username": "other", "password": "x"}).status_code == 429
    # Another address is not affected.
    assert Client(REMOTE_ADDR="203.0.113.8").post("/sign-in", {"username": "third", "password": "x"}).status_code == 200


def test_the_api_is_limited_per_user_with_retry_after(world, settings):
    settings.BALLOTGUARD_RATE_LIMITS = {"api_user": "4/min"}
    client = signed_in_client(world.users.feoa_wmp)
    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200] * 4
    response = client.get("/api/v1/me")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60 and "try again in" in response.json()["detail"]
    assert signed_in_client(world.users.feoa_met).get("/api/v1/me").status_code == 200


def test_the_api_is_limited_per_address(world, settings):
    settings.BALLOTGUARD_RATE_LIMITS = {"api_address": "2/min"}
    a = signed_in_client(world.users.feoa_wmp, Client(REMOTE_ADDR="198.51.100.1"))
    b = signed_in_client(world.users.feoa_met, Client(REMOTE_ADDR="198.51.100.1"))
    assert a.get("/api/v1/me").status_code == 200 and b.get("/api/v1/me").status_code == 200
    assert a.get("/api/v1/me").status_code == 429


def test_report_submission_is_limited(world, settings):
    settings.BALLOTGUARD_RATE_LIMITS = {"report_user": "1/h"}
    client = signed_in_client(world.users.candidate)
    body = {"candidate_id": world.candidates.yardley_1.pk, "occurred_at": "2025-01-01T10:00:00Z", "place": "online",
            "platform": "X", "behaviours": ["abusive_or_hateful_message"], "description": "a message"}
    assert client.post("/api/v1/incidents", body, content_type="application/json").status_code in (200, 201)
    response = client.post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 60
