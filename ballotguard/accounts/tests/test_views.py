"""Pages of the accounts app: sign-in with a real second factor, lockout, sign-out, the home pages,
the audit log, API tokens, and the security headers every page carries."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.models import ApiToken, AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("accounts:sign-in"), {"username": username, "password": password})


def test_sign_in_page_renders_govuk_form(client):
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Sign in – Ballotguard</title>" in html
    assert html.count("<h1") == 1
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="govuk-input' in html and 'for="id_username"' in html


def test_csp_header_forbids_inline_script_and_style(client):
    response = client.get(reverse("accounts:sign-in"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.content.decode()
    # The one inline script is the import map for the charts, allowed by its hash and nothing else.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs.strip() for attrs, _ in inline] == ['type="importmap"'], "no inline <script> but the import map"
    digest = base64.b64encode(hashlib.sha256(inline[0][1].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert " style=" not in html and "<style" not in html


def test_candidate_signs_in_with_password_only(world, client):
    response = sign_in(client, "candidate-carol")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "In immediate danger, call 999" in home.content.decode()
    assert AuditEvent.objects.filter(action="sign_in", actor=world.users.candidate).exists()


def test_sign_in_rotates_the_session(world, client):
    client.get(reverse("accounts:sign-in"))
    session = client.session
    session["probe"] = "x"
    session.save()
    before = session.session_key
    sign_in(client, "candidate-carol")
    assert client.session.session_key != before


def test_feoa_sign_in_with_real_totp_code(world, client):
    response = sign_in(client, "feoa-met")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:verify")
    device = TOTPDevice.objects.get(user=world.users.feoa_met)
    key_before = client.session.session_key
    response = client.post(reverse("accounts:verify"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session.session_key != key_before
    assert client.get(reverse("registry:candidate-list")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa", actor=world.users.feoa_met, detail="code accepted").exists()


def test_wrong_totp_code_is_refused(world, client):
    sign_in(client, "feoa-met")
    device = TOTPDevice.objects.get(user=world.users.feoa_met)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:verify"), {"code": wrong})
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and "The security code is not correct" in html
    assert "<title>Error: " in html
    assert client.get(reverse("registry:candidate-list")).status_code == 302
    assert AuditEvent.objects.filter(action="mfa", detail="code rejected").exists()


def test_mfa_middleware_blocks_password_only_feoa_session(world, client):
    client.force_login(world.users.feoa_met)  # password step only: no device in the session
    for url in (reverse("home"), reverse("registry:candidate-list"), reverse("registry:candidate-detail", args=[world.candidates.clw_1.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:verify")


def test_user_without_device_sets_up_totp_with_qr_code(world, client):
    TOTPDevice.objects.filter(user=world.users.analyst).delete()
    sign_in(client, "analyst")
    response = client.get(reverse("accounts:verify"))
    html = response.content.decode()
    assert "Set up your authenticator app" in html
    assert "<svg" in html and 'aria-label="QR code' in html
    device = TOTPDevice.objects.get(user=world.users.analyst, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    response = client.post(reverse("accounts:verify"), {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert "National registry summary" in client.get(reverse("home")).content.decode()


def test_failed_sign_in_is_audited_without_the_password(world, client):
    response = sign_in(client, "feoa-met", "not-the-password")
    assert response.status_code == 200
    assert "Enter a correct username and password" in response.content.decode()
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert "not-the-password" not in event.detail


def test_lockout_after_repeated_failures(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "feoa-met", "wrong-password-123")
    assert response.status_code == 429
    assert "You cannot sign in at the moment" in response.content.decode()
    # Even the right password is refused while locked out.
    response = sign_in(client, "feoa-met")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_out_is_post_only_and_audited(world, client_as):
    client = client_as(world.users.candidate)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="sign_out", actor=world.users.candidate).exists()
    assert client.get(reverse("home")).status_code == 302


def test_next_parameter_is_kept_but_never_off_site(world, client):
    response = client.post(reverse("accounts:sign-in") + "?next=https://evil.example/", {"username": "candidate-carol", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("candidate", "Feoa-Wmp Tester"),
        ("staff", "Candidates you act for"),
        ("ro_birmingham", "Birmingham"),
        ("feoa_met", "Metropolitan Police"),
        ("analyst", "National registry summary"),
        ("admin", "Audit log"),
    ],
)
def test_home_page_per_role(world, client_as, user, text):
    response = client_as(getattr(world.users, user)).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html
    assert html.count("<h1") == 1


def test_candidate_home_shows_advisers_and_routing(world, client_as):
    html = client_as(world.users.candidate).get(reverse("home")).content.decode()
    assert "Carol Cooper" in html and "Operation Bridger" in html
    assert "101" in html and "police.uk" in html


def test_audit_log_is_admin_only_and_reading_it_is_audited(world, client_as):
    assert client_as(world.users.feoa_met).get(reverse("accounts:audit-log")).status_code == 403
    client = client_as(world.users.admin)
    response = client.get(reverse("accounts:audit-log"), {"action": "read", "object_type": "audit_log"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="read", object_type="audit_log", actor=world.users.admin).exists()
    assert "You do not have permission" in client_as(world.users.analyst).get(reverse("accounts:audit-log")).content.decode()


def test_audit_log_search_and_pagination(world, client_as, settings):
    settings.BALLOTGUARD_PAGE_SIZE = 2
    for i in range(5):
        AuditEvent.objects.create(actor_username="feoa-met", action="read", object_type="candidate", object_id=str(i))
    client = client_as(world.users.admin)
    response = client.get(reverse("accounts:audit-log"), {"actor": "feoa-met", "object_type": "candidate"})
    assert response.context["page_obj"].paginator.count == 5
    html = response.content.decode()
    assert 'class="govuk-pagination"' in html and "actor=feoa-met" in html and "page=2" in html
    response = client.get(reverse("accounts:audit-log"), {"since": "2030-01-02", "until": "2030-01-01"})
    assert "To date must be the same as or after" in response.content.decode()


def test_api_token_create_show_once_and_revoke(world, client_as):
    client = client_as(world.users.feoa_met)
    response = client.post(reverse("accounts:tokens"), {"name": "case system"})
    html = response.content.decode()
    secret = re.search(r'id="new-token">(bg_[^<]+)<', html).group(1)
    token = ApiToken.objects.get(user=world.users.feoa_met)
    assert token.digest == ApiToken.digest_of(secret)
    assert secret not in client.get(reverse("accounts:tokens")).content.decode()
    assert AuditEvent.objects.filter(action="token", object_id=str(token.pk), detail="created").exists()
    other = client_as(world.users.feoa_city)
    assert other.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    response = client.post(reverse("accounts:token-revoke", args=[token.pk]), follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "has been revoked" in response.content.decode()
    assert AuditEvent.objects.filter(action="token", object_id=str(token.pk), detail="revoked").exists()


def test_error_pages_are_govuk(world, client_as):
    response = client_as(world.users.candidate).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
