"""Issue 16's leftovers: dates typed the GOV.UK way (day, month, year boxes, not the browser's
mm/dd/yyyy picker beside an ISO hint), tappable phone numbers for advisers, and an import error that
offers only choices the page really has."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ballotguard.core.forms import GovukDateField, GovukForm
from ballotguard.outreach.models import ContactAttempt
from ballotguard.registry.models import Candidate

pytestmark = pytest.mark.django_db

DC_EXPORT = pathlib.Path(__file__).resolve().parent.parent / "ballotguard" / "registry" / "tests" / "fixtures" / "dc_export.csv"


class _DateForm(GovukForm):
    day = GovukDateField(label="Date", required=False, help_text="For example, 27 3 2026")


@pytest.mark.parametrize("data, expected", [
    ({"day_day": "27", "day_month": "3", "day_year": "2026"}, dt.date(2026, 3, 27)),
    ({"day_day": " 7 ", "day_month": "05", "day_year": "2026"}, dt.date(2026, 5, 7)),
    ({"day": "2026-05-07"}, dt.date(2026, 5, 7)),  # a script posting an ISO date still works
    ({}, None),
])
def test_govuk_date_field_reads_three_boxes(data, expected):
    form = _DateForm(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == expected


@pytest.mark.parametrize("data", [
    {"day_day": "31", "day_month": "2", "day_year": "2026"},
    {"day_day": "3", "day_month": "", "day_year": "2026"},
    {"day_day": "x", "day_month": "2", "day_year": "2026"},
    {"day_day": "3", "day_month": "2", "day_year": "26"},
])
def test_govuk_date_field_refuses_what_is_not_a_real_date(data):
    form = _DateForm(data)
    assert not form.is_valid()
    assert form.errors["day"] == ["Enter a real date, for example 27 3 2026"]
    html = str(form["day"])
    assert 'class="govuk-input govuk-date-input__input govuk-input--error govuk-input--width-2"' in html
    assert form.error_links()[0]["href"] == "#id_day_0"  # the error summary links to the day box


def test_audit_log_dates_are_three_boxes_with_a_matching_hint(world, client_as):
    admin = client_as(world.users.admin)
    html = admin.get("/audit/").content.decode()
    assert 'type="date"' not in html
    assert 'name="since_day"' in html and 'name="since_month"' in html and 'name="since_year"' in html
    assert "for example 7 5 2026" in html and "2026-05-07" not in html


def test_a_contact_attempt_date_typed_in_three_boxes(world, client_as):
    carol = world.candidates.yardley_1  # handed over with consent by the fixture
    feoa = client_as(world.users.feoa_wmp)
    page = feoa.get(f"/outreach/candidates/{carol.pk}/").content.decode()
    assert 'type="date"' not in page and 'name="day_day"' in page
    # Carol's phone number can be tapped.
    assert 'href="tel:+447700900123"' in page
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = feoa.post(f"/outreach/candidates/{carol.pk}/", {
        "method": "phone", "outcome": "left_message", "day_day": str(yesterday.day), "day_month": str(yesterday.month),
        "day_year": str(yesterday.year), "time": "09:15"})
    assert response.status_code == 302
    assert timezone.localtime(ContactAttempt.objects.get(candidate=carol).at).date() == yesterday
    bad = feoa.post(f"/outreach/candidates/{carol.pk}/", {"method": "phone", "outcome": "no_answer", "day_day": "31", "day_month": "2", "day_year": "2026"})
    assert bad.status_code == 400 and "Enter a real date, for example 27 3 2026" in bad.content.decode()


def test_registry_candidate_page_phone_is_tappable(world, client_as):
    page = client_as(world.users.feoa_wmp).get(f"/candidates/{world.candidates.yardley_1.pk}/").content.decode()
    assert '<a class="govuk-link" href="tel:+447700900123">+447700900123</a>' in page


def test_import_error_offers_only_what_the_page_has_and_the_page_has_it(client_as, world):
    with_extra = DC_EXPORT.read_text(encoding="utf-8").replace("elected\n", "elected,shoe_size\n", 1)
    with_extra = "\n".join(line + ",9" if i else line for i, line in enumerate(with_extra.splitlines())).encode()
    admin = client_as(world.users.admin)
    before = Candidate.objects.count()
    page = admin.post("/imports/", {"kind": "candidates", "cand-candidates_file": SimpleUploadedFile("c.csv", with_extra)}).content.decode()
    assert "Unknown columns: shoe_size" in page
    assert "Ignore columns this import does not know" in page  # the error names the box ...
    assert 'name="cand-allow_unknown_columns"' in page         # ... and the box is on the page
    assert Candidate.objects.count() == before
    page = admin.post("/imports/", {"kind": "candidates", "cand-candidates_file": SimpleUploadedFile("c.csv", with_extra),
                                    "cand-allow_unknown_columns": "on"}).content.decode()
    assert "Unknown columns: shoe_size (ignored)" in page
    assert Candidate.objects.count() > before
    # The API has the same choice.
    api = admin.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", with_extra), "dry_run": "true", "allow_unknown_columns": "true"})
    assert api.status_code == 200, api.content
