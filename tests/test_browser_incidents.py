"""A candidate reports an incident on a phone, and a FEOA triages it on a desktop, in a real headless
Chromium; axe-core finds no serious or critical accessibility violations on any incident page.

The candidate (Carol Cooper, Birmingham Yardley, West Midlands Police) signs in with a password only,
trips two validation errors without losing what she typed, uploads a real PNG and sends the report.
An earlier report of hers and one by Alice Archer (Metropolitan Police) share the phone number she
gives, so the West Midlands FEOA sees a linked incident in her own force and one in another force.
The FEOA triages the report, opens the course of conduct, downloads the evidence pack and checks the
ZIP, and grants the Met FEOA's request to see the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import struct
import zipfile
import zlib

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.incidents import services
from ballotguard.incidents.models import AccessRequest, Incident
from conftest import PASSWORD, make_user
from tests.browser import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous
# and safe, so Django's async-safety guard is relaxed for this module only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE_NUMBER = "07700 900 982"
DESCRIPTION = "He rang my mobile at 9pm and said he would kill me.\nHe read out my home address before hanging up."
THREAT_TO_KILL = "A threat to kill or harm you or someone close to you"
REPEATED_CONTACT = "Repeated unwanted contact"
HOME_ADDRESS_KNOWN = "They seem to know my home address"
PHONE_PLACE = "By phone or text message"


def _png(width: int = 8, height: int = 8) -> bytes:
    """A real (decodable) PNG: an RGB gradient, no third-party library needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 30 % 256, y * 30 % 256, 128)) for x in range(width))  # filter 0, then RGB pixels
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _new_page(browser, **context_options):
    # bypass_csp lets axe-core be injected; the CSP itself is asserted in the view tests.
    context = browser.new_context(bypass_csp=True, accept_downloads=True, **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _go(page, locator, url="**") -> None:
    """Click and wait for the page that loads. A form that fails, or a POST that redirects back, comes
    back to the same address, so waiting for the address alone could read the page before."""
    with page.expect_navigation(url=url):
        locator.click()


def _assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {page.url}: {violations}"


def _assert_emergency_first(page) -> None:
    """The 999 warning is the first thing in <main> (its first text, above the heading), and the page fits the screen."""
    first = page.evaluate(
        """() => {
            const main = document.querySelector('main');
            const warning = main.querySelector('#emergency');
            if (!warning) return 'no 999 warning in main';
            const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (node.textContent.trim()) return warning.contains(node) ? 'warning' : node.textContent.trim();
            }
            return 'main has no text';
        }"""
    )
    assert first == "warning", f"on {page.url} the first thing in main is {first!r}, not the 999 warning"
    # Nothing on a reporting screen is wider than the screen (no sideways scrolling on a phone).
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), f"{page.url} scrolls sideways"
    warning = page.locator("main #emergency")
    assert warning.is_visible()
    assert "call 999" in warning.inner_text()
    assert warning.bounding_box()["y"] <= page.locator("main h1").bounding_box()["y"]


def _assert_kept(page, *, day: str, month: str, year: str) -> None:
    """What was typed is still there after the page came back with errors."""
    assert page.get_by_label("Day", exact=True).input_value() == day
    assert page.get_by_label("Month", exact=True).input_value() == month
    assert page.get_by_label("Year", exact=True).input_value() == year
    assert page.get_by_label("Time", exact=True).input_value() == "21:05"
    assert page.get_by_label(PHONE_PLACE).is_checked()
    assert page.get_by_label(THREAT_TO_KILL).is_checked()
    assert page.get_by_label(REPEATED_CONTACT).is_checked()
    assert not page.get_by_label("Assault: being hit, pushed, spat at or touched").is_checked()
    assert page.get_by_label(HOME_ADDRESS_KNOWN).is_checked()
    assert page.get_by_label("Describe what happened").input_value() == DESCRIPTION
    assert page.get_by_label("Phone numbers").input_value() == PHONE_NUMBER


def _error_summary(page) -> str:
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error: ")
    return summary.inner_text()


def test_candidate_reports_on_a_phone_and_feoa_triages_and_exports(world, live_server, browser, tmp_path):
    assert world.users.candidate.role not in settings.BALLOTGUARD_MFA_ROLES  # password only
    carol = world.candidates.yardley_1
    alice_user = make_user("candidate-alice", "candidate")
    world.candidates.clw_1.user = alice_user
    world.candidates.clw_1.save(update_fields=["user"])

    # Two earlier reports share the phone number Carol is about to give: one of hers (West Midlands),
    # one by Alice (Met). Both are low risk, so the new high-risk report tops the queue.
    earlier = dict(
        occurred_at=timezone.now() - dt.timedelta(days=3), place="phone", platform="", behaviours=["abusive_or_hateful_message"],
        description="Abusive voicemail.", observables={"phone": "+44 7700 900982"},
    )
    carol_earlier, _ = services.report(Actor(user=world.users.candidate), services.ReportInput(candidate_id=carol.pk, **earlier))
    alice_earlier, _ = services.report(Actor(user=alice_user), services.ReportInput(candidate_id=world.candidates.clw_1.pk, **earlier))
    assert carol_earlier.effective_risk != "high" and alice_earlier.effective_risk != "high"

    png = _png()
    screenshot = tmp_path / "threat-screenshot.png"
    screenshot.write_bytes(png)

    # ---------------------------------------------------------------------------------------------
    # The candidate, on a phone.
    page = _new_page(browser, viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Username").fill(world.users.candidate.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    _assert_accessible(page)

    page.get_by_role("button", name="Report an incident").click()
    page.wait_for_url("**/incidents/report/")
    _assert_emergency_first(page)
    _assert_accessible(page)

    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("2025")
    page.get_by_label("Time", exact=True).fill("21:05")
    page.get_by_label(PHONE_PLACE).check()
    page.get_by_label(THREAT_TO_KILL).check()
    page.get_by_label(REPEATED_CONTACT).check()
    page.get_by_label(HOME_ADDRESS_KNOWN).check()
    page.get_by_label("Describe what happened").fill(DESCRIPTION)
    page.get_by_label("Phone numbers").fill(PHONE_NUMBER)
    page.get_by_label("Vehicle registrations").fill("NOT A REG")
    _go(page, page.get_by_role("button", name="Continue to evidence"), "**/incidents/report/")

    # An impossible date: the error summary, the date's error, and nothing typed is lost.
    summary = _error_summary(page)
    assert "must be a real date" in summary
    _assert_emergency_first(page)
    _assert_kept(page, day="31", month="2", year="2025")
    assert page.get_by_label("Vehicle registrations").input_value() == "NOT A REG"
    # The summary's link moves focus to the first date field.
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("() => document.activeElement.name") == "day"
    _assert_accessible(page)
    assert Incident.objects.filter(reported_by=world.users.candidate, status=Incident.Status.DRAFT).count() == 0

    # A real date, but a vehicle registration that is not one: the service refuses it, same page.
    page.get_by_label("Day", exact=True).fill("28")
    _go(page, page.get_by_role("button", name="Continue to evidence"), "**/incidents/report/")
    summary = _error_summary(page)
    assert "registration" in summary.lower()
    assert page.locator("#id_obs_vehicle-error").is_visible()
    _assert_emergency_first(page)
    _assert_kept(page, day="28", month="2", year="2025")
    _assert_accessible(page)
    assert Incident.objects.filter(reported_by=world.users.candidate, status=Incident.Status.DRAFT).count() == 0

    page.get_by_label("Vehicle registrations").fill("")
    page.get_by_role("button", name="Continue to evidence").click()
    page.wait_for_url(re.compile(r".*/incidents/BG-[^/]+/evidence/$"))
    reference = page.url.rstrip("/").split("/")[-2]
    draft = Incident.objects.get(reference=reference)
    assert draft.status == Incident.Status.DRAFT and draft.candidate_id == carol.pk
    _assert_emergency_first(page)
    _assert_accessible(page)

    page.get_by_label("Upload a file").set_input_files(str(screenshot))
    _go(page, page.get_by_role("button", name="Upload", exact=True), f"**/incidents/{reference}/evidence/")
    assert "threat-screenshot.png" in page.locator("main table").inner_text()
    _assert_emergency_first(page)
    _assert_accessible(page)

    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(f"**/incidents/{reference}/check/")
    _assert_emergency_first(page)
    main = page.locator("main").inner_text()
    assert "Check your report before sending it" in main
    assert THREAT_TO_KILL in main and "They seem to know the home address" in main
    assert "threat-screenshot.png" in main, main
    assert "Phone number" in main and PHONE_NUMBER.replace(" ", "")[1:] in main.replace(" ", ""), main
    _assert_accessible(page)

    page.get_by_role("button", name="Send report to my FEOA").click()
    page.wait_for_url(f"**/incidents/{reference}/")
    main = page.locator("main").inner_text()
    assert "Sent to your FEOA" in main
    assert "has not reported a crime" in main
    _assert_emergency_first(page)
    _assert_accessible(page)
    page.context.close()

    incident = Incident.objects.get(reference=reference)
    assert incident.status == Incident.Status.NEW
    assert incident.effective_risk == "high"
    assert list(incident.forces.all()) == [world.forces.wmp]
    evidence = incident.evidence.get()
    assert evidence.sha256 == hashlib.sha256(png).hexdigest()

    # The Met's FEOA, who holds Alice's linked report, asks to see Carol's.
    services.request_access(Actor(user=world.users.feoa_met), reference, "Same phone number threatening our candidate.")

    # ---------------------------------------------------------------------------------------------
    # The West Midlands FEOA, on a desktop.
    feoa = world.users.feoa_wmp
    device = TOTPDevice.objects.get(user=feoa)
    page = _new_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Username").fill(feoa.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/verify**")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Security code").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Case queue", exact=True).click()
    page.wait_for_url("**/incidents/")
    _assert_accessible(page)
    rows = page.locator("table.bg-queue tbody tr")
    assert rows.count() == 2  # Carol's two reports; Alice's is the Met's
    top = rows.first
    assert reference in top.inner_text()
    assert top.locator(".govuk-tag--red").inner_text().strip() == "High risk"
    assert carol_earlier.reference in rows.nth(1).inner_text()
    assert "1 access request from other forces" in page.locator("main").inner_text()

    top.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/incidents/{reference}/")
    _assert_accessible(page)
    main = page.locator("main").inner_text()
    assert DESCRIPTION.splitlines()[0] in main
    assert "High risk" in main
    links = page.locator("#links + p + table")
    assert links.get_by_role("link", name=carol_earlier.reference).is_visible()  # same force: openable
    hidden_row = links.locator("tr", has_text=alice_earlier.reference)
    assert "In another force" in hidden_row.inner_text() and "Metropolitan Police" in hidden_row.inner_text()
    assert hidden_row.get_by_role("link", name=alice_earlier.reference).count() == 0
    assert "Phone number" in links.inner_text() or "phone number" in links.inner_text().lower()

    # Triage it.
    page.get_by_label("Triaged").check()
    _go(page, page.get_by_role("button", name="Save status"), f"**/incidents/{reference}/")
    assert f"{reference} is now triaged" in page.locator("main").inner_text()
    _assert_accessible(page)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIAGED

    # Ask the Met for Alice's linked report.
    hidden_row = page.locator("#links + p + table tr", has_text=alice_earlier.reference)
    hidden_row.locator("summary").click()
    hidden_row.get_by_label("Why do you need to see it?").fill("The same number threatened a candidate here.")
    _go(page, hidden_row.get_by_role("button", name="Send request"), f"**/incidents/{reference}/")
    assert "Access requested" in page.locator("#links + p + table").inner_text()
    assert AccessRequest.objects.filter(incident=alice_earlier, requested_by=feoa, status="pending").exists()
    _assert_accessible(page)

    # The course of conduct: both of Carol's reports visible, the Met's one counted but hidden.
    page.get_by_role("link", name="See the whole course of conduct").click()
    page.wait_for_url(f"**/incidents/{reference}/conduct/")
    _assert_accessible(page)
    table = page.locator("main table").inner_text()
    assert reference in table and carol_earlier.reference in table
    assert alice_earlier.reference not in table and "Alice Archer" not in table
    assert "1 in Metropolitan Police that you cannot" in page.locator("main").inner_text()
    page.get_by_role("link", name=f"Back to {reference}").click()
    page.wait_for_url(f"**/incidents/{reference}/")

    # The evidence pack: the PDF, the PNG exactly as uploaded, the manifest and the checksums.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download evidence pack (ZIP with PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    pack = tmp_path / "pack.zip"
    download.save_as(pack)
    with zipfile.ZipFile(pack) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 1 and archive.read(pdfs[0]).startswith(b"%PDF-")
        assert "SHA256SUMS" in names and "manifest.csv" in names
        pngs = [n for n in names if n.endswith(".png")]
        assert len(pngs) == 1
        data = archive.read(pngs[0])
        assert data == png and hashlib.sha256(data).hexdigest() == evidence.sha256
        sums = dict(reversed(line.split(None, 1)) for line in archive.read("SHA256SUMS").decode().splitlines() if line.strip())
        sums = {name.lstrip("*"): digest for name, digest in sums.items()}
        assert sums[pngs[0]] == evidence.sha256
        for name, digest in sums.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
        assert [(row["arcname"], row["sha256"], row["filename"]) for row in manifest] == [(pngs[0], evidence.sha256, "threat-screenshot.png")]

    # Access requests: grant the Met FEOA's request for Carol's report.
    page.get_by_role("link", name="Case queue", exact=True).click()
    page.wait_for_url("**/incidents/")
    page.get_by_role("link", name="1 access request from other forces").click()
    page.wait_for_url("**/incidents/access-requests/")
    _assert_accessible(page)
    row = page.locator("main table tbody tr", has_text=reference)
    assert "Same phone number threatening our candidate." in row.inner_text()
    _go(page, row.get_by_role("button", name=f"Grant access to {reference}"), "**/incidents/access-requests/")
    assert f"Access to {reference} granted" in page.locator("main").inner_text()
    assert "No requests are waiting." in page.locator("main").inner_text()
    _assert_accessible(page)
    assert AccessRequest.objects.get(incident=incident, requested_by=world.users.feoa_met).status == "granted"
    page.context.close()


def test_danger_interrupts_the_report_on_a_phone_before_anything_else(world, live_server, browser):
    """Issue 16, point 1: ticking 'I am in danger now' shows a tap-to-call 999 link at once, and sending
    the form stops the journey on a full-screen 999 page, not on 'Add evidence'."""
    page = _new_page(browser, viewport={"width": 320, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Username").fill(world.users.candidate.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/incidents/report/")

    call_now = page.locator("#conditional-danger a[href='tel:999']")
    assert not call_now.is_visible()
    page.get_by_label("I am in danger now, or the person is still nearby").check()
    assert call_now.is_visible()  # revealed the moment the box is ticked, before the form is sent
    page.get_by_label("Describe what happened").fill(DESCRIPTION)
    _go(page, page.get_by_role("button", name="Continue to evidence"), "**/incidents/report/")

    assert page.locator("main h1").inner_text() == "Call 999 now"
    call = page.get_by_role("button", name="Call 999")
    assert call.get_attribute("href") == "tel:999"
    box = call.bounding_box()
    assert box["y"] + box["height"] <= 640 and box["height"] >= 44  # on the first screen, a thumb-sized target
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    _assert_accessible(page)
    draft = Incident.objects.get(reported_by=world.users.candidate)
    assert draft.status == Incident.Status.DRAFT and draft.reference in page.locator("main").inner_text()

    # Safe again: back to the report with what was typed, and told what is still needed to send it.
    _go(page, page.get_by_role("button", name="I am safe now: continue my report"), f"**/incidents/{draft.reference}/edit/")
    assert page.get_by_label("Describe what happened").input_value() == DESCRIPTION
    assert "Select what happened" in _error_summary(page)
    assert Incident.objects.filter(reported_by=world.users.candidate).count() == 1
