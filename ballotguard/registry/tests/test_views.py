"""Registry pages: the candidate list (filters, pagination, scope), a candidate's record (scope,
contact details and their audit), and the returning officer's hand-over, one by one and by CSV."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ballotguard.accounts.models import AuditEvent
from ballotguard.registry.models import Candidate

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [c.name for c in response.context["page_obj"]]


# --- Candidate list ---------------------------------------------------------------------------------


def test_list_is_for_feoa_ro_and_admin_only(world, client_as):
    for user in (world.users.candidate, world.users.staff, world.users.analyst):
        response = client_as(user).get(reverse("registry:candidate-list"))
        assert response.status_code == 403
        assert "You do not have permission" in response.content.decode()


def test_feoa_list_is_scoped_to_their_force(world, client_as):
    assert names(client_as(world.users.feoa_met).get(reverse("registry:candidate-list"))) == ["Alice Archer", "Bob Baker"]
    # The City of London force shares the constituency, so sees it too.
    assert names(client_as(world.users.feoa_city).get(reverse("registry:candidate-list"))) == ["Alice Archer", "Bob Baker"]
    assert names(client_as(world.users.feoa_wmp).get(reverse("registry:candidate-list"))) == ["Carol Cooper", "Dan Davies", "Erin Evans"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "car"}, ["Carol Cooper"]),
        ({"party": "PP63"}, ["Dan Davies", "Erin Evans"]),
        ({"election": "local.birmingham.2026-05-07"}, ["Erin Evans"]),
        ({"operation": "bridger"}, ["Alice Archer", "Bob Baker", "Carol Cooper", "Dan Davies"]),
        ({"operation": "ford"}, ["Erin Evans"]),
        ({"handed_over": "yes"}, ["Carol Cooper"]),
        ({"handed_over": "no", "operation": "bridger"}, ["Alice Archer", "Bob Baker", "Dan Davies"]),
        ({"area": "E08000025"}, ["Erin Evans"]),  # a council includes its wards
        ({"area": "Birmingham Yardley"}, ["Carol Cooper", "Dan Davies"]),  # a name works too
        ({"area": "e14001172"}, ["Alice Archer", "Bob Baker"]),
    ],
)
def test_filters(world, client_as, params, expected):
    response = client_as(world.users.admin).get(reverse("registry:candidate-list"), params)
    assert response.status_code == 200
    assert names(response) == expected


def test_unknown_area_is_an_error_not_an_empty_list(world, client_as):
    response = client_as(world.users.admin).get(reverse("registry:candidate-list"), {"area": "Atlantis"})
    html = response.content.decode()
    assert "govuk-error-summary" in html and 'href="#id_area"' in html
    assert 'value="Atlantis"' in html


def test_pagination_keeps_filters(world, client_as, settings):
    settings.BALLOTGUARD_PAGE_SIZE = 2
    client = client_as(world.users.admin)
    first = client.get(reverse("registry:candidate-list"), {"operation": "bridger"})
    assert names(first) == ["Alice Archer", "Bob Baker"]
    html = first.content.decode()
    assert 'class="govuk-pagination"' in html and "operation=bridger&amp;page=2" in html
    second = client.get(reverse("registry:candidate-list"), {"operation": "bridger", "page": "2"})
    assert names(second) == ["Carol Cooper", "Dan Davies"]
    assert 'aria-current="page">2<' in second.content.decode().replace("\n", "").replace("  ", "")


def test_list_shows_no_contact_details_and_does_not_query_per_row(world, client_as, django_assert_max_num_queries):
    client = client_as(world.users.admin)
    for i in range(30):
        Candidate.objects.create(ballot=world.ballots.ward, person_id=f"9{i:03d}", name=f"Zed {i:02d}", party=world.parties.lab)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("registry:candidate-list"))
    html = response.content.decode()
    assert "carol@example.org" not in html and "B25 8AA" not in html
    assert not AuditEvent.objects.filter(action="read", object_type="candidate").exists()


# --- Candidate record -------------------------------------------------------------------------------


def test_feoa_of_another_force_gets_404(world, client_as):
    url = reverse("registry:candidate-detail", args=[world.candidates.yardley_1.pk])
    response = client_as(world.users.feoa_met).get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client_as(world.users.feoa_wmp).get(url).status_code == 200


def test_detail_shows_forces_with_primary(world, client_as):
    response = client_as(world.users.feoa_city).get(reverse("registry:candidate-detail", args=[world.candidates.clw_1.pk]))
    html = response.content.decode()
    assert "Metropolitan Police" in html and "London, City of" in html and "Primary" in html
    assert "Operation Bridger" in html


def test_feoa_sees_contact_details_and_each_read_is_audited(world, client_as):
    client = client_as(world.users.feoa_wmp)
    url = reverse("registry:candidate-detail", args=[world.candidates.yardley_1.pk])
    for expected in (1, 2):
        html = client.get(url).content.decode()
        assert "carol@example.org" in html and "+447700900123" in html and "B25 8AA" in html
        events = AuditEvent.objects.filter(action="read", object_type="candidate", object_id=str(world.candidates.yardley_1.pk), actor=world.users.feoa_wmp)
        assert events.count() == expected
    assert set(events.first().fields) == {"email", "phone", "address", "postcode"}


def test_admin_never_sees_contact_details(world, client_as):
    response = client_as(world.users.admin).get(reverse("registry:candidate-detail", args=[world.candidates.yardley_1.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "carol@example.org" not in html and "+447700900123" not in html and "B25 8AA" not in html
    assert "Administrators cannot see" in html
    assert not AuditEvent.objects.filter(action="read", object_type="candidate").exists()


def test_admin_changelist_hides_contact_details(world, client_as):
    world.users.admin.is_staff = world.users.admin.is_superuser = True
    world.users.admin.save()
    client = client_as(world.users.admin)
    html = client.get(reverse("admin:registry_candidate_changelist")).content.decode()
    assert "Carol Cooper" in html and "carol@example.org" not in html
    html = client.get(reverse("admin:registry_candidate_change", args=[world.candidates.yardley_1.pk])).content.decode()
    assert "carol@example.org" not in html and "B25 8AA" not in html


# --- Hand-over ------------------------------------------------------------------------------------


def test_handover_list_shows_own_council_only(world, client_as):
    response = client_as(world.users.ro_birmingham).get(reverse("registry:handover"))
    html = response.content.decode()
    assert "Carol Cooper" in html and "Erin Evans" in html and "Alice Archer" not in html
    assert client_as(world.users.feoa_met).get(reverse("registry:handover")).status_code == 403


def test_ro_of_another_council_gets_404(world, client_as):
    client = client_as(world.users.ro_westminster)
    url = reverse("registry:handover-candidate", args=[world.candidates.yardley_2.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "x@example.org", "consent": "yes"}).status_code == 404
    assert client.get(reverse("registry:candidate-detail", args=[world.candidates.yardley_2.pk])).status_code == 404
    assert not Candidate.objects.get(pk=world.candidates.yardley_2.pk).handed_over


def test_handover_form_errors_keep_values_and_save_nothing(world, client_as):
    client = client_as(world.users.ro_birmingham)
    url = reverse("registry:handover-candidate", args=[world.candidates.yardley_2.pk])
    response = client.post(url, {"email": "dan@example.org", "phone": "not a phone", "address": "2 High Street\nBirmingham", "postcode": "ZZ"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    for anchor in ('href="#id_phone"', 'href="#id_postcode"', 'href="#id_consent_0"'):
        assert anchor in html
    assert 'value="dan@example.org"' in html and 'value="not a phone"' in html and "2 High Street" in html
    assert "govuk-input--error" in html and 'aria-describedby="id_phone-hint id_phone-error"' in html
    dan = Candidate.objects.get(pk=world.candidates.yardley_2.pk)
    assert not dan.handed_over and dan.email == ""


def test_handover_form_saves_with_consent(world, client_as):
    client = client_as(world.users.ro_birmingham)
    url = reverse("registry:handover-candidate", args=[world.candidates.yardley_2.pk])
    response = client.post(url, {"email": "Dan@Example.org", "phone": "07700 900 982", "address": "", "postcode": "b25 8aa", "consent": "yes"}, follow=True)
    assert "handed over to their police adviser" in response.content.decode()
    dan = Candidate.objects.get(pk=world.candidates.yardley_2.pk)
    assert dan.handed_over and dan.consent_to_share
    assert (dan.email, dan.phone, dan.postcode) == ("dan@example.org", "+447700900982", "B25 8AA")


CSV_HEADER = "ballot_paper_id,person_id,email,phone,address,postcode,consent\n"


def upload(client, text: str, name: str = "handover.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("registry:handover-upload"), {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}, follow=True)


def test_csv_handover_with_one_bad_row_saves_nothing_and_names_the_line(world, client_as):
    client = client_as(world.users.ro_birmingham)
    text = (
        CSV_HEADER
        + "parl.birmingham-yardley.2024-07-04,2002,dan@example.org,07700 900 982,,B25 8AA,yes\n"
        + "local.birmingham.yardley-east.2026-05-07,3001,erin@example,,,,yes\n"
    )
    response = upload(client, text)
    html = response.content.decode()
    assert "Line 3, column email" in html
    assert "Nothing has been saved" in html
    assert not Candidate.objects.get(pk=world.candidates.yardley_2.pk).handed_over
    assert not Candidate.objects.get(pk=world.candidates.ward_1.pk).handed_over


def test_csv_handover_rejects_other_councils_candidates(world, client_as):
    response = upload(client_as(world.users.ro_birmingham), CSV_HEADER + "parl.cities-of-london-and-westminster.2024-07-04,1001,a@example.org,,,,yes\n")
    assert "Line 2, column ballot_paper_id" in response.content.decode()
    assert not Candidate.objects.get(pk=world.candidates.clw_1.pk).handed_over


def test_csv_handover_success_shows_banner_with_counts(world, client_as):
    text = (
        CSV_HEADER
        + "parl.birmingham-yardley.2024-07-04,2002,dan@example.org,07700 900 982,,B25 8AA,yes\n"
        + 'local.birmingham.yardley-east.2026-05-07,3001,,,"1 Ward Road\nBirmingham",,no\n'
    )
    response = upload(client_as(world.users.ro_birmingham), text)
    html = response.content.decode()
    assert "govuk-notification-banner--success" in html
    assert "Candidates handed over: 2. Agreed to share their details: 1. Did not agree: 1." in html
    erin = Candidate.objects.get(pk=world.candidates.ward_1.pk)
    assert erin.handed_over and not erin.consent_to_share and erin.address == ""


def test_csv_handover_rejects_non_csv(world, client_as):
    client = client_as(world.users.ro_birmingham)
    response = upload(client, "PK\x03\x04 binary", name="details.xlsx")
    assert "must be a CSV file" in response.content.decode()
    response = upload(client, "PK\x03\x04 binary", name="details.csv")
    assert "not CSV text" in response.content.decode()
    response = upload(client, "name,email\nx,y\n")
    assert "Missing required columns" in response.content.decode()


# --- Imports ------------------------------------------------------------------------------------------


def test_imports_page_is_admin_only(world, client_as):
    assert client_as(world.users.feoa_met).get(reverse("registry:imports")).status_code == 403
    response = client_as(world.users.admin).get(reverse("registry:imports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and "multiple" in html


def test_imports_without_a_file_shows_error_summary(world, client_as):
    response = client_as(world.users.admin).post(reverse("registry:imports"), {"kind": "candidates"})
    html = response.content.decode()
    assert "govuk-error-summary" in html and "Select a candidates CSV file" in html


def test_imports_page_calls_importer_and_shows_report(world, client_as, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ballotguard.registry import importers

    calls = {}

    class Report:
        def to_dict(self):
            return {"kind": "candidates", "dry_run": True, "created": {"candidate": 3}, "updated": {"candidate": 1},
                    "unchanged": {"party": 2}, "rejected": [{"line": 7, "message": "unknown ballot", "column": "ballot_paper_id"}],
                    "warnings": ["file is not UTF-8"]}

    def fake_import(source, *, filename, gender_from, dry_run, actor, allow_unknown_columns=False):
        calls.update(source=source, filename=filename, gender_from=gender_from, dry_run=dry_run, actor=actor)
        return Report()

    monkeypatch.setattr(importers, "import_candidates", fake_import)
    client = client_as(world.users.admin)
    response = client.post(reverse("registry:imports"), {
        "kind": "candidates", "cand-candidates_file": SimpleUploadedFile("dc.csv", b"ballot_paper_id\n"), "cand-dry_run": "on",
    })
    html = response.content.decode()
    assert calls["source"] == b"ballot_paper_id\n" and calls["filename"] == "dc.csv" and calls["dry_run"] is True
    assert calls["gender_from"] is None and calls["actor"].user == world.users.admin
    assert "Dry run: nothing saved" in html and "unknown ballot" in html and "file is not UTF-8" in html

    def refuse(*args, **kwargs):
        raise importers.ImportValidationError(["Missing required columns: person_id"])

    monkeypatch.setattr(importers, "import_geography", refuse)
    response = client.post(reverse("registry:imports"), {
        "kind": "geography", "geo-geography_files": [SimpleUploadedFile("a.csv", b"x\n"), SimpleUploadedFile("b.csv", b"y\n")],
    })
    html = response.content.decode()
    assert "govuk-error-summary" in html and "Missing required columns: person_id" in html


def test_returning_officer_downloads_a_template_csv_fills_it_in_and_uploads_it(world, client_as):
    """Issue 16: the upload page offers a CSV to fill in, one row per candidate on the officer's own
    ballots (named, so they can tell the rows apart), that the upload then reads as it is."""
    client = client_as(world.users.ro_birmingham)
    page = client.get("/handover/upload/").content.decode()
    assert 'href="/handover/template.csv"' in page
    response = client.get("/handover/template.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="handover-template.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ballot_paper_id,person_id,name,email,phone,address,postcode,consent"
    assert sorted(lines[1:]) == [
        "local.birmingham.yardley-east.2026-05-07,3001,Erin Evans,,,,,",
        "parl.birmingham-yardley.2024-07-04,2001,Carol Cooper,,,,,",
        "parl.birmingham-yardley.2024-07-04,2002,Dan Davies,,,,,",
    ]  # Birmingham's candidates only, and no contact details in it
    filled = "\n".join([lines[0], "parl.birmingham-yardley.2024-07-04,2002,Dan Davies,dan@example.org,,,,yes"]) + "\n"
    response = upload(client, filled)
    assert "Candidates handed over: 1." in response.content.decode()
    assert Candidate.objects.get(pk=world.candidates.yardley_2.pk).handed_over
    # Other roles cannot have it.
    assert client_as(world.users.candidate).get("/handover/template.csv").status_code == 403
    assert client_as(world.users.feoa_wmp).get("/handover/template.csv").status_code == 403


def test_csv_handover_errors_in_welsh(world, client_as):
    client = client_as(world.users.ro_birmingham)
    client.cookies["bg_language"] = "cy"
    html = upload(client, CSV_HEADER + "parl.birmingham-yardley.2024-07-04,2002,dan@example.org,,,,maybe\n").content.decode()
    assert "Llinell 2, colofn consent: rhowch yes neu no" in html
    assert "Mae gan y ffeil a ddewiswyd 1 broblem" in html
