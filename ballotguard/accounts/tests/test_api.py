"""The JSON API's accounts side: authentication (token, session, second factor, CSRF), ``/me``,
tokens, the audit log, error bodies and the docs page."""

import pytest
from django.test import Client
from django.urls import path
from django.utils import timezone

from ballotguard.accounts.models import ApiToken, AuditEvent
from ballotguard.api import api, api_docs

# The API on its own URLconf, so these tests do not depend on the pages' URLs.
urlpatterns = [path("api/v1/", api.urls), path("api/docs", api_docs, name="api-docs")]
pytestmark = pytest.mark.urls(__name__)


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_me_with_session(world, client_as):
    response = client_as(world.users.feoa_met).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "feoa-met"
    assert body["role"] == "feoa"
    assert body["forces"] == [{"code": "E23000001", "name": "Metropolitan Police", "nation": "England"}]
    assert body["council"] is None
    assert body["auth_method"] == "session"


def test_me_for_returning_officer_names_council(world, client_as):
    body = client_as(world.users.ro_birmingham).get("/api/v1/me").json()
    assert body["council"] == {"code": "E08000025", "name": "Birmingham"}
    assert body["forces"] == []


def test_bearer_token_works_and_revoked_token_is_401(world):
    token, secret = ApiToken.issue(world.users.feoa_wmp, "script")
    client = Client()
    response = client.get("/api/v1/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "feoa-wmp"
    assert response.json()["auth_method"] == "token"
    token.refresh_from_db()
    assert token.last_used_at is not None

    token.revoked_at = timezone.now()
    token.save()
    response = client.get("/api/v1/me", **bearer(secret))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_expired_and_unknown_tokens_are_401(world):
    _, secret = ApiToken.issue(world.users.admin, "old", expires_at=timezone.now() - timezone.timedelta(days=1))
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401
    assert Client().get("/api/v1/me", **bearer("bg_not-a-real-token")).status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==").status_code == 401


def test_unauthenticated_is_401_json(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authentication required" in response.json()["detail"]


def test_session_without_second_factor_is_401(world):
    client = Client()
    client.force_login(world.users.feoa_met)  # password only, no one-time code
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "second factor" in response.json()["detail"]


def test_session_auth_checks_second_factor_without_the_middleware(world, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RequireMfaMiddleware")]
    client = Client()
    client.force_login(world.users.analyst)
    assert client.get("/api/v1/me").status_code == 401


def test_roles_without_mfa_use_the_session(world):
    client = Client()
    client.force_login(world.users.candidate)
    assert client.get("/api/v1/me").json()["role"] == "candidate"


def test_token_lifecycle(world, client_as):
    client = client_as(world.users.ro_westminster)
    response = client.post("/api/v1/tokens", {"name": "handover script", "expires_in_days": 30}, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("bg_")
    assert created["active"] is True
    assert AuditEvent.objects.filter(action="token", object_id=str(created["id"]), detail="created").exists()

    listed = client.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "secret" not in listed[0]

    token_client = Client()
    assert token_client.get("/api/v1/me", **bearer(created["secret"])).status_code == 200

    assert client.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert client.get("/api/v1/tokens").json()[0]["active"] is False
    assert token_client.get("/api/v1/me", **bearer(created["secret"])).status_code == 401


def test_tokens_cannot_mint_tokens(world):
    _, secret = ApiToken.issue(world.users.admin, "script")
    response = Client().post("/api/v1/tokens", {"name": "x"}, content_type="application/json", **bearer(secret))
    assert response.status_code == 401


def test_cannot_revoke_someone_elses_token(world, client_as):
    other, _ = ApiToken.issue(world.users.admin, "theirs")
    response = client_as(world.users.feoa_met).delete(f"/api/v1/tokens/{other.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    other.refresh_from_db()
    assert other.revoked_at is None


def test_csrf_enforced_for_session_posts(world):
    from conftest import signed_in_client

    client = signed_in_client(world.users.feoa_met, Client(enforce_csrf_checks=True))
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.exists()

    # With the token from the cookie, as the pages send it.
    client.get("/api/v1/me")  # any response; then fetch a token the way a page would
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret)
    )
    assert response.status_code == 201


def test_bearer_posts_need_no_csrf(world):
    _, secret = ApiToken.issue(world.users.ro_birmingham, "script")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/handover",
        {"items": [{"candidate_id": world.candidates.yardley_2.pk, "consent": False}]},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200


def test_validation_errors_name_the_field(world, client_as):
    client = client_as(world.users.admin)
    response = client.post("/api/v1/tokens", {"name": "", "expires_in_days": 1000}, content_type="application/json")
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["detail"]}
    assert set(fields) == {"name", "expires_in_days"}
    assert "365" in fields["expires_in_days"]

    response = client.get("/api/v1/audit?limit=501")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "limit"


def test_audit_log_for_admins_only_and_reading_is_audited(world, client_as):
    _, secret = ApiToken.issue(world.users.admin, "script")
    client_as(world.users.feoa_wmp).get(f"/api/v1/candidates/{world.candidates.yardley_1.pk}")  # audited read
    admin = client_as(world.users.admin)
    response = admin.get("/api/v1/audit", {"actor": "feoa-wmp", "action": "read"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["object_type"] == "candidate"
    assert body["items"][0]["fields"] == ["address", "email", "phone", "postcode"]
    assert body["next_offset"] is None
    reading = AuditEvent.objects.get(object_type="audit_log")
    assert reading.actor_username == "admin"
    assert reading.channel == "api"
    assert "feoa-wmp" not in reading.detail  # filter names, not values

    assert admin.get("/api/v1/audit", {"action": "nonsense"}).json()["detail"][0]["field"] == "action"
    for user in (world.users.feoa_met, world.users.analyst, world.users.ro_birmingham, world.users.candidate):
        response = client_as(user).get("/api/v1/audit")
        assert response.status_code == 403, user.username


def test_audit_pagination(world, client_as):
    from ballotguard.accounts.services import Actor, audit

    for i in range(5):
        audit(Actor(user=world.users.admin), "read", "candidate", i)
    body = client_as(world.users.admin).get("/api/v1/audit", {"object_type": "candidate", "limit": 2, "offset": 2}).json()
    assert body["count"] == 5
    assert len(body["items"]) == 2
    assert body["next_offset"] == 4


def test_openapi_schema_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for p in ("/api/v1/me", "/api/v1/candidates", "/api/v1/candidates/{candidate_id}", "/api/v1/ballots",
              "/api/v1/handover", "/api/v1/registry/summary", "/api/v1/police-forces", "/api/v1/imports/candidates",
              "/api/v1/imports/geography", "/api/v1/audit", "/api/v1/tokens", "/api/v1/tokens/{token_id}"):
        assert p in schema["paths"], p
    assert {"BearerToken", "VerifiedSession"} <= set(schema["components"]["securitySchemes"])


def test_docs_page_without_swagger_lists_operations_and_loads_nothing_external(db, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "ninja"]
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    assert "/api/v1/candidates/{candidate_id}" in html
    assert "<script" not in html
    assert "https://" not in html and "http://" not in html
    assert "Content-Security-Policy" in response


def test_docs_page_serves_self_hosted_swagger_when_ninja_is_an_app(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    # No inline executable script: only src= scripts and the JSON settings block.
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_unknown_paths_and_wrong_methods_answer_json(db):
    client = Client()
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.json()["detail"].startswith("Method not allowed")
    assert "GET" in response["Allow"]
    assert client.get("/api/v1/").json() == {"docs": "/api/docs", "openapi": "/api/v1/openapi.json"}
