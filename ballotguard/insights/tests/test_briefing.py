"""The briefing pack: the button and the command make a PDF from the stored snapshot, marked
OFFICIAL-SENSITIVE on every page, dated, with small counts still protected, audited, within
the same scope rules as the pages; and a page turned into an image shows the charts."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command

from ballotguard.accounts.models import AuditEvent
from ballotguard.engines.insights import charts
from ballotguard.engines.insights import hexmap
from ballotguard.insights import briefing
from ballotguard.insights.models import Snapshot

pytestmark = pytest.mark.django_db

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def pages_text(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(document))]


def uk_day(moment: dt.datetime) -> str:
    local = moment.astimezone(ZoneInfo("Europe/London"))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def colour_pixels(image, colour: str, tolerance: int = 12) -> int:
    """How many pixels of a rendered page are (near enough) this colour."""
    wanted = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int((np.abs(pixels - wanted) <= tolerance).all(axis=2).sum())


def test_the_button_downloads_a_marked_dated_pack_and_audits_it(world, figures, client_as):
    ge = world.elections.ge
    response = client_as(world.users.analyst).get(f"/insights/briefing.pdf?election={ge.election_id}&force=national")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="briefing-pack-parl-2024-07-04-national-\d{4}-\d{2}-\d{2}\.pdf"', disposition)
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_type="insights.table", detail__contains="table=briefing-pack")
    assert event.actor == world.users.analyst and "scope=national" in event.detail

    pages = pages_text(response.content)
    assert len(pages) >= 5  # cover, trends, disparities, coverage, map, methods
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the marking at the top or the bottom"
        assert f"Page {number} of {len(pages)}" in text
        assert "DEMO DATA" not in text  # the test world is not demo data
    everything = "\n".join(pages)
    snapshot = Snapshot.objects.get(election=ge, scope="national")
    assert ge.name in pages[0]
    assert f"Figures as of {uk_day(snapshot.computed_at)}" in pages[0]
    for heading in ("Headline figures", "Is it rising?", "Trends", "Disparities", "Coverage gaps", "Case clocks", "Time to triage by risk level",
                    "Time to first contact by police force", "Methods", "Caveats"):
        assert heading in everything
    assert "Clopper-Pearson" in everything and "cell-key method" in everything and "21%" in everything
    assert "totals may not equal the" in everything
    assert "Cities of London and Westminster" in everything  # the map's list of constituencies
    assert world.candidates.clw_1.name not in everything  # nobody is named

    # The West Midlands' 3 incidents are perturbed in the police force table (0 or 5 to 8), as on the page.
    forces = everything[everything.index("By police force"):]
    row = next(line for line in forces.splitlines() if line.startswith("West Midlands") and len(line.split()) > 2)  # the table's row, not the chart's label
    assert row.split()[2] in {"0", "5", "6", "7", "8"}, row
    for line in everything.splitlines():
        if line.startswith("West Midlands"):
            assert "3" not in line.split()[2:3], line
    shown = snapshot.payload["headline"]["incidents"]["display"]
    assert f"Incidents reported {shown}" in pages[0]  # the pack prints the snapshot's (perturbed) figures


def test_a_feoa_gets_their_own_force_with_the_small_count_perturbed(world, figures, client_as):
    feoa = client_as(world.users.feoa_wmp)
    response = feoa.get(f"/insights/briefing.pdf?election={world.elections.ge.election_id}")
    assert response.status_code == 200
    assert world.forces.wmp.code in response["Content-Disposition"]
    first = pages_text(response.content)[0]
    assert "West Midlands" in first
    assert re.search(r"Incidents reported\s+(0|5|6|7|8)\b", first)
    assert not re.search(r"Incidents reported\s+3\b", first)


def test_scope_rules_are_the_pages_rules(world, figures, client_as):
    met = client_as(world.users.feoa_met)
    assert met.get(f"/insights/briefing.pdf?force={world.forces.wmp.code}").status_code == 404
    assert met.get("/insights/briefing.pdf?force=national").status_code == 404
    assert met.get("/insights/briefing.pdf?election=parl.1900-01-01").status_code == 404
    for user in (world.users.candidate, world.users.ro_westminster, world.users.admin):
        assert client_as(user).get("/insights/briefing.pdf").status_code == 403
    assert not AuditEvent.objects.filter(detail__contains="table=briefing-pack").exists()
    assert met.get("/insights/briefing.pdf").status_code == 200  # their own force


def test_no_pack_before_the_first_refresh(world, client_as):
    assert client_as(world.users.analyst).get("/insights/briefing.pdf").status_code == 404
    with pytest.raises(CommandError, match="refresh-insights"):
        call_command("briefing_pack")


def test_the_overview_has_the_button(world, figures, client_as):
    html = client_as(world.users.analyst).get(f"/insights/?election={world.elections.ge.election_id}&force=national").content.decode()
    assert "Download the briefing pack (PDF)" in html
    assert f'href="/insights/briefing.pdf?election={world.elections.ge.election_id}&amp;force=national"' in html


def test_a_page_turned_into_an_image_shows_the_pack_and_its_charts(world, figures, client_as):
    pdf = client_as(world.users.analyst).get(f"/insights/briefing.pdf?election={world.elections.ge.election_id}&force=national").content
    document = pdfium.PdfDocument(pdf)
    cover = document[0].render(scale=1).to_pil().convert("L")
    assert abs(cover.width - 595) <= 1 and abs(cover.height - 842) <= 1  # A4 at 72 dpi
    ink = int((np.asarray(cover) < 200).sum())
    assert ink > 3000, "the cover is (nearly) blank"
    texts = pages_text(pdf)
    trends = next(i for i, text in enumerate(texts) if "Incidents reported, by week" in text)
    image = document[trends].render(scale=1).to_pil()
    # The weekly line and the rate bars are drawn in the pages' chart blue; the top half of the page
    # (the weekly chart) must have plenty of it.
    top = image.crop((0, 0, image.width, image.height // 2))
    assert colour_pixels(top, charts.PALETTE[0]) > 150
    # The methods page has no chart, so no chart blue: the count above is the chart, not page furniture.
    assert colour_pixels(document[len(document) - 1].render(scale=1).to_pil(), charts.PALETTE[0]) == 0


def test_the_hex_map_is_drawn_for_a_general_election(world, figures, client_as):
    world.areas.clw.hex_q, world.areas.clw.hex_r = 0, 0
    world.areas.clw.save(update_fields=["hex_q", "hex_r"])
    world.areas.yardley.hex_q, world.areas.yardley.hex_r = 1, -1
    world.areas.yardley.save(update_fields=["hex_q", "hex_r"])
    pdf = client_as(world.users.analyst).get(f"/insights/briefing.pdf?election={world.elections.ge.election_id}&force={world.forces.met.code}").content
    texts = pages_text(pdf)
    page = next(i for i, text in enumerate(texts) if "Each hexagon is a Westminster constituency" in text)
    image = pdfium.PdfDocument(pdf)[page].render(scale=1).to_pil()
    # The Met's one constituency has 12 incidents: its hexagon is coloured from the map's blue scale;
    # Yardley is outside the Met, so it is the pale grey of "no candidates in scope".
    assert max(colour_pixels(image, colour, tolerance=4) for colour in hexmap.BLUES) > 100
    assert colour_pixels(image, hexmap.NO_DATA_FILL, tolerance=2) > 100


def test_the_command_writes_the_pack_and_audits_it(world, figures, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    call_command("briefing_pack", "--election", world.elections.ge.election_id, "--force", world.forces.met.code, "--out", str(out))
    pdf = out.read_bytes()
    pages = pages_text(pdf)
    assert all(text.count("OFFICIAL-SENSITIVE") >= 2 for text in pages)
    assert "Metropolitan Police" in pages[0] and world.elections.ge.name in pages[0]
    assert str(out) in capsys.readouterr().out
    event = AuditEvent.objects.get(detail__contains="table=briefing-pack")
    assert event.channel == "cli" and world.forces.met.code in event.detail
    with pytest.raises(CommandError, match="No figures for 'E99999999'"):
        call_command("briefing_pack", "--force", "E99999999", "--out", str(out))
    with pytest.raises(CommandError, match="No figures for election"):
        call_command("briefing_pack", "--election", "parl.1900-01-01", "--out", str(out))


def test_demo_figures_are_marked_demo_data_on_every_page(world, figures):
    snapshot = Snapshot.objects.get(election=world.elections.ge, scope="national")
    payload = {**snapshot.payload, "election": {**snapshot.payload["election"], "name": "UK Parliament general election 2024 (demo data)"}}
    assert briefing.is_demo(payload) and not briefing.is_demo(snapshot.payload)
    made = dt.datetime(2025, 11, 21, 9, 30, tzinfo=dt.UTC)
    pdf = briefing.render_briefing(payload, computed_at=snapshot.computed_at, scope_name="All of the UK", generated_by="Test", generated_at=made)
    pages = pages_text(pdf)
    assert all("DEMO DATA" in text for text in pages)
    assert "21 November 2025, 09:30 GMT" in pages[0]
    assert briefing.render_briefing(payload, computed_at=snapshot.computed_at, scope_name="All of the UK", generated_by="Test",
                                    generated_at=made) == pdf  # deterministic
    plain = briefing.render_briefing(payload, computed_at=snapshot.computed_at, scope_name="All of the UK", generated_by="Test",
                                     generated_at=made, demo=False)
    assert not any("DEMO DATA" in text for text in pages_text(plain))


def test_long_tables_run_over_pages_with_their_header(world, figures):
    snapshot = Snapshot.objects.get(election=world.elections.ge, scope="national")
    payload = dict(snapshot.payload)
    party = next(t for t in payload["disparities"] if t["name"] == "party")
    many = [{**party["rows"][1], "group": f"Party number {k}", "_values": {**party["rows"][1]["_values"], "group": f"Party number {k}"}}
            for k in range(150)]
    payload["disparities"] = [{**party, "rows": many}]
    pdf = briefing.render_briefing(payload, computed_at=snapshot.computed_at, scope_name="All of the UK", generated_by="Test",
                                   generated_at=snapshot.computed_at)
    pages = pages_text(pdf)
    holding = [text for text in pages if "Party number" in text]
    assert len(holding) >= 3
    assert all("Rate ratio vs all others" in text for text in holding)  # the header repeats on each page
    assert all(f"Party number {k}\n" in "\n".join(pages) or f"Party number {k} " in "\n".join(pages) for k in range(150))
