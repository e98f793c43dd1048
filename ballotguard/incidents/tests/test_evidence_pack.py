"""Evidence packs: the PDF says what the police need, and the ZIP proves no file was altered.

No database: the packs are built here from the dataclasses. The PDF's text is read back with
``pdf_text`` below, a small extractor for what fpdf2 writes: it inflates the FlateDecode streams with
zlib, maps each font's glyph ids back to characters through the font's ToUnicode CMap (DejaVu Sans;
core Helvetica strings are Latin-1), and returns each page as lines (one line per text object, in
drawing order). So a test sees the text a reader would copy, not bytes that happen to match.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballotguard.incidents import evidence_pack as ep
from ballotguard.incidents.evidence_pack import (
    DANGER_LINE,
    Pack,
    PackEvent,
    PackEvidence,
    PackIncident,
    PackOffence,
    PackRoute,
    pack_filename,
    render_pdf,
    write_zip,
    zip_paths,
)

UTC = timezone.utc
DISCLAIMER = "Offence guidance is guidance, not legal advice: the police and CPS decide what to charge."
HAVE_DEJAVU = (ep.FONT_DIR / ep.FONT_REGULAR).is_file()
needs_dejavu = pytest.mark.skipif(not HAVE_DEJAVU, reason="DejaVu Sans not installed (fonts-dejavu-core)")


# ---------------------------------------------------------------------------------------------------
# Reading text back out of the PDF
# ---------------------------------------------------------------------------------------------------


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object's dictionary text and (inflated) stream, located through the xref table."""
    xref = data.rindex(b"\nxref\n") + 1
    lines = data[xref:].split(b"\n")
    start, count = (int(x) for x in lines[1].split())
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for number, entry in enumerate(lines[2:2 + count], start=start):
        offset, _, kind = entry.split()[:3]
        if kind != b"n":
            continue
        at = int(offset)
        head = re.match(rb"(\d+) 0 obj\s*", data[at:at + 40])
        assert head and int(head.group(1)) == number
        body_at = at + head.end()
        stream_at = data.find(b"stream", body_at)
        end_at = data.find(b"endobj", body_at)
        if stream_at == -1 or end_at < stream_at:
            objects[number] = (data[body_at:end_at], None)
            continue
        header = data[body_at:stream_at]
        length = int(re.search(rb"/Length (\d+)", header).group(1))
        raw_at = stream_at + len(b"stream")
        raw_at += 2 if data[raw_at:raw_at + 2] == b"\r\n" else 1
        raw = data[raw_at:raw_at + length]
        objects[number] = (header, zlib.decompress(raw) if b"/FlateDecode" in header else raw)
    return objects


def _cmap(stream: bytes) -> dict[bytes, str]:
    mapping: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            width, first, base = len(lo) // 2, int(lo, 16), int(dst, 16)
            for code in range(first, int(hi, 16) + 1):
                mapping[code.to_bytes(width, "big")] = chr(base + code - first)
    return mapping


def _literal(stream: bytes, i: int) -> tuple[bytes, int]:
    """A PDF literal string starting at stream[i] == '(' → its bytes and the index after it."""
    out = bytearray()
    depth, i = 1, i + 1
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while True:
        c = stream[i]
        if c == 0x5C:  # backslash
            n = stream[i + 1]
            if n in escapes:
                out += escapes[n]
                i += 2
            elif 0x30 <= n <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", stream[i + 1:i + 4]).group(0)
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            elif n in (0x0A, 0x0D):
                i += 2
            else:
                out.append(n)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1


_TOKEN = re.compile(rb"\s*(?:(\()|<([0-9A-Fa-f\s]*)>|(/[^\s/\[\]()<>]+)|([-+]?[\d.]+)|([A-Za-z*'\"]+)|(\[)|(\]))")


def pdf_pages(data: bytes) -> list[list[str]]:
    """The text of each page of a PDF written by fpdf2, as lines."""
    objects = _objects(data)
    fonts: dict[bytes, dict[bytes, str] | None] = {}
    for header, _ in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", header):
            font_header = objects[int(number)][0]
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_header)
            fonts[name] = _cmap(objects[int(to_unicode.group(1))][1]) if to_unicode else None
    catalog_pages = next(h for h, _ in objects.values() if re.search(rb"/Type /Pages\b", h))
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids \[(.*?)\]", catalog_pages, re.S).group(1))]
    pages = []
    for kid in kids:
        contents = int(re.search(rb"/Contents (\d+) 0 R", objects[kid][0]).group(1))
        pages.append(_page_lines(objects[contents][1], fonts))
    return pages


def _page_lines(stream: bytes, fonts: dict[bytes, dict[bytes, str] | None]) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    font: dict[bytes, str] | None = None
    operands: list[object] = []
    array: list[object] | None = None

    def decode(raw: bytes) -> str:
        if font is None:
            return raw.decode("latin-1")
        return "".join(font.get(raw[k:k + 2], "\ufffd") for k in range(0, len(raw), 2))

    i = 0
    while i < len(stream):
        m = _TOKEN.match(stream, i)
        if m is None:
            i += 1
            continue
        i = m.end()
        if m.group(1):
            value, i = _literal(stream, m.end() - 1)
            (array if array is not None else operands).append(value)
        elif m.group(2) is not None:
            (array if array is not None else operands).append(bytes.fromhex(re.sub(r"\s", "", m.group(2).decode())))
        elif m.group(3):
            (array if array is not None else operands).append(m.group(3))  # a name, such as /F1
        elif m.group(4):
            (array if array is not None else operands).append(float(m.group(4)))
        elif m.group(6):
            array = []
        elif m.group(7):
            operands.append(array)
            array = None
        elif m.group(5):
            op = m.group(5)
            if op == b"Tf":
                font = fonts[operands[-2][1:]]
            elif op == b"Tj":
                current.append(decode(operands[-1]))
            elif op == b"TJ":
                current.extend(decode(x) for x in operands[-1] if isinstance(x, bytes))
            elif op == b"ET" and current:
                lines.append("".join(current))
                current = []
            operands = []
    return lines


def pdf_text(data: bytes) -> str:
    return "\n".join("\n".join(page) for page in pdf_pages(data))


def body(pages: list[list[str]], drop: tuple[str, ...] = ()) -> str:
    """The text without each page's marking and footer (and lines in ``drop``, such as a repeated table
    header), so that text running over a page break reads on unbroken."""
    lines = []
    for page in pages:
        assert page[0] == page[-3] == "OFFICIAL-SENSITIVE" and page[-1].startswith("Page ")
        lines.extend(line for line in page[1:-3] if line not in drop)
    return "\n".join(lines)


def squash(text: str) -> str:
    """Text without any whitespace: wrapped lines joined, to find a phrase or hash split over lines."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------------
# Packs to render
# ---------------------------------------------------------------------------------------------------

GENERATED = datetime(2024, 6, 12, 14, 3, tzinfo=UTC)  # 15:03 BST


def make_evidence(reference: str, n: int, filename: str, data: bytes, **changes) -> PackEvidence:
    evidence = PackEvidence(
        filename=filename, kind="Photo" if filename.endswith(".jpg") else "Document", size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_at=GENERATED - timedelta(days=1, hours=n),
        uploaded_by="Carol Cooper", arcname=f"evidence/{reference}/{n:02d}-{filename}",
    )
    return replace(evidence, **changes)


def make_incident(reference: str, day: int, files: dict[str, bytes] | None = None, **changes) -> PackIncident:
    files = {"photo.jpg": b"\xff\xd8\xff" + reference.encode() * 50, "messages.txt": b"you will regret it\n" * 40} \
        if files is None else files
    occurred = datetime(2024, 6, day, 20, 30, tzinfo=UTC)
    incident = PackIncident(
        reference=reference, candidate="Carol Cooper", occurred_at=occurred, place="At home", area="Birmingham Yardley",
        status="Triaged by FEOA",
        behaviours=("Turning up at your home", "A threat to kill or harm you or someone close to you"),
        characteristics=("Religion",), description=f"A man came to my door on day {day} and said he would hurt me.",
        perpetrator="Man in his forties, red jacket, grey van.",
        observables=(("Vehicle registration", f"AB{day:02d} CDE"), ("X (Twitter) account", "@not_a_real_handle")),
        risk_level="High", risk_reasons=("A threat to kill", "Came to the home address"),
        crime_reference="" if day % 2 else f"20/{day}345/24",
        routes=(PackRoute(title="Police: 101 or police.uk", why="A threat to kill is a crime.",
                          how="Call 101, give your FEOA's name and this pack."),),
        offences=(PackOffence(act="Offences against the Person Act 1861", section="s.16", title="Threats to kill",
                              kind="either-way offence", why="He said he would kill you, meaning you to fear it.",
                              evidence=("Your account of the exact words", "Witness details", "Doorbell video")),),
        timeline=(PackEvent(at=occurred + timedelta(hours=1), actor="Carol Cooper", text=f"Reported {reference}"),
                  PackEvent(at=occurred + timedelta(hours=15), actor="FEOA West Midlands",
                            text=f"Triaged {reference}")),
        evidence=tuple(make_evidence(reference, n, name, data)
                       for n, (name, data) in enumerate(files.items(), start=1)),
    )
    return replace(incident, **changes)


def make_pack(*incidents: PackIncident, **changes) -> Pack:
    incidents = incidents or (make_incident("BG-7K3Q-2M", 10),)
    title = (f"Evidence pack: incident {incidents[0].reference}" if len(incidents) == 1
             else f"Course of conduct: {len(incidents)} linked incidents")
    pack = Pack(title=title, generated_at=GENERATED, generated_by="FEOA West Midlands", incidents=incidents,
                disclaimer=DISCLAIMER)
    return replace(pack, **changes)


def files_of(pack: Pack, files: dict[str, bytes] | None = None) -> list[tuple[PackEvidence, bytes]]:
    """The (evidence, bytes) pairs the service would read from storage, rebuilt from make_incident's data."""
    out = []
    for incident in pack.incidents:
        for item in incident.evidence:
            data = (files or {}).get(item.filename)
            if data is None:
                data = (b"\xff\xd8\xff" + incident.reference.encode() * 50 if item.filename == "photo.jpg"
                        else b"you will regret it\n" * 40)
            out.append((item, data))
    return out


@pytest.fixture
def no_dejavu(monkeypatch, tmp_path):
    monkeypatch.setattr(ep, "FONT_DIR", tmp_path / "no-fonts-here")


# ---------------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------------


def test_one_incident_pdf_has_what_the_police_need():
    pack = make_pack()
    data = render_pdf(pack)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = pdf_pages(data)
    text = pdf_text(data)
    flat = squash(text)

    assert "Evidence pack: incident BG-7K3Q-2M" in pages[0]
    assert squash(DANGER_LINE) in squash("\n".join(pages[0]))
    generated = "Generated by FEOA West Midlands on 12 June 2024 at 14:03 UTC (12 June 2024, 15:03 BST, UK time)"
    assert squash(generated) in flat
    assert "Incident BG-7K3Q-2M" in text
    for heading in ("What happened", "Description", "Perpetrator and observables", "Risk", "Where to report",
                    "Offences that may apply", "Timeline", "Evidence"):
        assert heading in text.splitlines()
    for phrase in ("Turning up at your home", "Religion", "Birmingham Yardley", "Mon 10 Jun 2024, 21:30 BST",
                   "A man came to my door on day 10", "grey van", "AB10 CDE", "Risk level: High",
                   "Came to the home address",
                   "Police: 101 or police.uk", "Threats to kill (either-way offence)",
                   "Offences against the Person Act 1861, s.16", "Doorbell video", DISCLAIMER, "Reported BG-7K3Q-2M",
                   "Tue 11 Jun 2024, 12:30 BST", "FEOA West Midlands", "Carol Cooper"):
        assert squash(phrase) in flat, phrase
    assert "20/10345/24" in pages[0] and "none recorded" not in pages[0]  # crime reference in the summary

    # the evidence list: every hash in full, on one line, and the path in the ZIP
    for item in pack.incidents[0].evidence:
        assert f"SHA-256: {item.sha256}" in text.splitlines()
        assert squash(item.arcname) in flat
        assert item.filename in text
    assert "503 bytes" in text and "760 bytes" in text  # sizes in full

    # every page carries the marking top and bottom and "Page X of Y"
    total = len(pages)
    assert total >= 2
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2, number
        assert f"Page {number} of {total}" in page


def test_sizes_are_exact():
    assert ep._size(150) == "150 bytes" and ep._size(1) == "1 byte"
    assert ep._size(1_234_567) == "1.2 MB (1,234,567 bytes)"


def test_course_of_conduct_has_every_incident_and_a_combined_timeline():
    incidents = (make_incident("BG-AAAA-1A", 3), make_incident("BG-BBBB-2B", 1), make_incident("BG-CCCC-3C", 2))
    pack = make_pack(*incidents)
    data = render_pdf(pack)
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data)
    text = pdf_text(data)
    first = "\n".join(pages[0])
    assert "Course of conduct: 3 linked incidents" in first
    for incident in incidents:
        assert incident.reference in first  # in the summary table
        assert f"Incident {incident.reference}" in text
        for item in incident.evidence:
            assert f"SHA-256: {item.sha256}" in text.splitlines()
            assert squash(item.arcname) in squash(text)
    # crime references in the summary: recorded for day 2, none for days 1 and 3
    assert "20/2345/24" in first and first.count("none recorded") == 2

    # the combined timeline, before the first incident's own section, in time order across incidents
    combined = text[text.index("Combined timeline"):text.index("Incident BG-AAAA-1A")]
    order = [combined.index(f"Reported {ref}") for ref in ("BG-BBBB-2B", "BG-CCCC-3C", "BG-AAAA-1A")]
    assert order == sorted(order)
    assert combined.index("Reported BG-BBBB-2B") < combined.index("Triaged BG-BBBB-2B")
    assert "(incident happened)" in combined
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_single_incident_has_no_combined_timeline():
    assert "Combined timeline" not in pdf_text(render_pdf(make_pack()))


def test_rendering_is_deterministic():
    pack = make_pack(make_incident("BG-AAAA-1A", 3), make_incident("BG-BBBB-2B", 4))
    assert render_pdf(pack) == render_pdf(pack)


WELSH = "Siân Ŵyn ap Llŷr"
OTHERS = "Łukasz Żółć, Zoë Ø, Ιωάννα, Ольга"


@needs_dejavu
def test_unicode_names_with_dejavu():
    incident = make_incident("BG-7K3Q-2M", 10, candidate=WELSH,
                             perpetrator=f"Signed {OTHERS} \U0001F52A\U0001F3FD\uFE0F")
    data = render_pdf(make_pack(incident, generated_by=WELSH))
    assert b"DejaVuSans" in data
    text = pdf_text(data)
    assert f"Generated by {WELSH}" in text
    assert WELSH in text and OTHERS in text
    assert "\ufffd" not in text  # every glyph drawn maps back to a character


@needs_dejavu
def test_characters_dejavu_lacks_are_replaced_and_the_pdf_says_so():
    incident = make_incident("BG-7K3Q-2M", 10, description="中文 message \U0001F9FF amulet")
    text = pdf_text(render_pdf(make_pack(incident)))
    assert "?? message [nazar amulet] amulet" in text
    assert "replacedby?ora[description]" in squash(text)
    plain = pdf_text(render_pdf(make_pack()))
    assert "replacedby?ora[description]" not in squash(plain)


def test_unicode_names_without_dejavu_fall_back_to_helvetica(no_dejavu):
    incident = make_incident("BG-7K3Q-2M", 10, candidate=WELSH,
                             perpetrator=f"Signed {OTHERS} \u2014 “quoted” \U0001F52A")
    data = render_pdf(make_pack(incident, generated_by=WELSH))
    assert b"/BaseFont /Helvetica" in data and b"DejaVu" not in data
    text = pdf_text(data)
    assert "Siân Wyn ap Llyr" in text  # â is Latin-1; ŵ and ŷ lose the circumflex
    assert 'Signed Lukasz Zólc, Zoë Ø, ??????, ????? - "quoted" [hocho]' in text
    assert "replacedby?ora[description]" in squash(text)
    assert "•" not in text  # bullets drawn as "-"


def test_text_cleaning():
    has = ep._latin1
    assert ep._fit("a\x00b\x07c\td\r\ne\u202eF\u200dg", has) == ("abc    d\neFg", False)
    assert ep._fit("e\u0301", has) == ("é", False)  # NFC first
    assert ep._fit("ŵ Ł …", has) == ("w L ...", True)
    assert ep._strip_controls(None) == ""
    assert ep._strip_controls("a\u2028b\x85c\ud800d") == "a\nb\ncd"


HOSTILE = [
    "<script>alert('x')</script> & <b>bold</b> %PDF-1.4 endobj ) ( \\ {nb}",
    "x" * 1500,  # one unbroken word
    "https://example.org/" + "a/b?c=d&" * 150,
    "line\n" * 80,
    "\x00\x01\x02\x1b[31m\x7f\x9b control\u200b\u200e\u202e\u2066 marks",
    "العربية עברית mixed with English",
    "\ud800 lone surrogate \udfff",
    "\U0001F469\u200D\U0001F469\u200D\U0001F467 \U0001F1EC\U0001F1E7 \uFFFF \U0010FFFF \uE000",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359A\u035A\u035B\u035C\u035D\u035E\u035F\u0360L\u0361G\u0362O",
    " ",
    "",
]


@pytest.mark.parametrize("fonts", ["dejavu", "core"])
def test_hostile_text_renders(fonts, monkeypatch, tmp_path):
    if fonts == "core":
        monkeypatch.setattr(ep, "FONT_DIR", tmp_path)
    elif not HAVE_DEJAVU:
        pytest.skip("DejaVu Sans not installed")
    long_event = PackEvent(at=GENERATED, actor="<img src=x onerror=alert(1)>", text="word " * 2500)
    incidents = []
    for n, text in enumerate(HOSTILE):
        ref = f"BG-HOST-{n:02d}"
        incidents.append(make_incident(
            ref, 1 + n % 28, files={text[:40] or "empty": b"data"}, candidate=text, description=text, perpetrator=text,
            place=text, area=text, status=text, behaviours=(text, text), characteristics=(text,),
            observables=((text, text),), risk_level=text, risk_reasons=(text,), crime_reference=text,
            routes=(PackRoute(text, text, text),), offences=(PackOffence(text, text, text, text, text, (text,)),),
            timeline=(PackEvent(at=GENERATED, actor=text, text=text), long_event) if n == 0 else
            (PackEvent(at=datetime(2024, 6, 1, 12), actor=text, text=text),),
        ))
    pack = make_pack(*incidents, title=HOSTILE[0], generated_by=HOSTILE[4], disclaimer=HOSTILE[5])
    data = render_pdf(pack)
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data)
    text = "\n".join("\n".join(p) for p in pages)
    assert HOSTILE[0] in text  # drawn as text, literally, "{nb}" included
    assert "\x00" not in text and "\x1b" not in text and "\x7f" not in text
    flat = squash(body(pages, drop=("Time", "Who", "What")))
    assert "x" * 1500 in flat
    assert "word" * 2500 in flat  # a table row taller than a page runs on over pages
    assert all(f"of {len(pages)}" in page[-1] for page in pages)


def test_long_unbroken_strings_wrap_within_the_page():
    url = "https://example.org/" + "abcdefghij" * 30
    incident = make_incident("BG-7K3Q-2M", 10, description=url, observables=(("Web page", url),))
    text = pdf_text(render_pdf(make_pack(incident)))
    assert text.count(squash(url)) == 0  # never one overflowing line...
    assert squash(text).count(url) == 2  # ...but all there, wrapped
    longest = max(len(line) for line in text.splitlines())
    assert longest < 130  # A4 at 10 pt holds about 100 characters


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.text(max_size=80))
def test_any_text_renders(text, name):
    incident = make_incident("BG-7K3Q-2M", 10, files={}, description=text, perpetrator=name, candidate=name,
                             timeline=(PackEvent(at=GENERATED, actor=name, text=text),), observables=((name, text),))
    assert render_pdf(make_pack(incident, generated_by=name)).startswith(b"%PDF")


def test_naive_times_are_utc_and_uk_time_is_gmt_or_bst():
    assert ep._when(datetime(2024, 1, 15, 9, 5)) == "Mon 15 Jan 2024, 09:05 GMT"
    assert ep._when(datetime(2024, 7, 15, 9, 5, tzinfo=UTC)) == "Mon 15 Jul 2024, 10:05 BST"
    assert ep._when(datetime(2024, 7, 15, 9, 5, tzinfo=timezone(timedelta(hours=-5)))) == "Mon 15 Jul 2024, 15:05 BST"
    assert ep._when(None) == "not known"


def test_uk_time_without_a_time_zone_database(monkeypatch):
    import zoneinfo

    expected = {}
    moment = datetime(2023, 3, 20, tzinfo=UTC)
    while moment < datetime(2025, 11, 5, tzinfo=UTC):
        expected[moment] = ep._uk(moment)
        moment += timedelta(minutes=30) if moment.month in (3, 10) and moment.day >= 24 else timedelta(hours=7)

    def missing(key):
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    for moment, (local, zone) in expected.items():
        fallback, fallback_zone = ep._uk(moment)
        assert (fallback, fallback_zone) == (local.replace(tzinfo=None), zone), moment


# ---------------------------------------------------------------------------------------------------
# Names and paths
# ---------------------------------------------------------------------------------------------------


def test_pack_filename():
    assert pack_filename(make_pack()) == "evidence-pack-BG-7K3Q-2M"
    three = make_pack(make_incident("BG-AAAA-1A", 1), make_incident("BG-BBBB-2B", 2), make_incident("BG-C", 3))
    assert pack_filename(three) == "evidence-pack-BG-AAAA-1A-and-2-more"
    hostile = make_pack(make_incident("../../etc/passwd\x00 Llŷr <x>" + "z" * 200, 1))
    name = pack_filename(hostile)
    assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", name) and name.startswith("evidence-pack-etc-passwd-Llyr-x-zzz")
    assert pack_filename(make_pack(make_incident("", 1))) == "evidence-pack"


@pytest.mark.parametrize("arcname", [
    "../escape.jpg", "evidence/../../escape.jpg", "/etc/passwd", "\\\\server\\share\\x", "C:\\Windows\\x.jpg",
    "c:x.jpg", "evidence\\..\\..\\x.jpg", "evidence/ .. /x", "evidence/.../x", "evidence/x/.. ", "", "   ", ".",
    "./", "evidence/ /x",
])
def test_unsafe_paths_are_refused(arcname):
    incident = make_incident("BG-7K3Q-2M", 10)
    first = replace(incident.evidence[0], arcname=arcname)
    pack = make_pack(replace(incident, evidence=(first,) + incident.evidence[1:]))
    with pytest.raises(ValueError, match="path in ZIP"):
        zip_paths(pack)
    with pytest.raises(ValueError, match="path in ZIP"):
        render_pdf(pack)
    out = io.BytesIO()
    with pytest.raises(ValueError, match="path in ZIP"):
        write_zip(pack, b"%PDF-", files_of(pack), out)


def test_paths_are_normalised_and_made_unique():
    data = b"\xff\xd8\xffsame"
    reference = "BG-7K3Q-2M"
    arcnames = ["evidence/x/photo.jpg", "evidence/x/PHOTO.jpg", "evidence//x/./photo.jpg", "evidence/x/photo-2.jpg",
                "evidence\\x\\a:b?.jpg", "manifest.csv", "SHA256SUMS", "evidence-pack-BG-7K3Q-2M.pdf", "README"]
    evidence = tuple(make_evidence(reference, n, "photo.jpg", data, arcname=name) for n, name in enumerate(arcnames))
    pack = make_pack(make_incident(reference, 10, evidence=evidence))
    assert zip_paths(pack) == ((
        "evidence/x/photo.jpg", "evidence/x/PHOTO-2.jpg", "evidence/x/photo-3.jpg", "evidence/x/photo-2-2.jpg",
        "evidence/x/a_b_.jpg", "manifest-2.csv", "SHA256SUMS-2", "evidence-pack-BG-7K3Q-2M-2.pdf", "README",
    ),)
    out = io.BytesIO()
    write_zip(pack, render_pdf(pack), [(item, data) for item in evidence], out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)) == len(arcnames) + 3
    assert set(zip_paths(pack)[0]) <= set(names)
    # the PDF names the same, de-duplicated, paths
    text = squash(pdf_text(render_pdf(pack)))
    for name in zip_paths(pack)[0]:
        assert name in text


def test_control_characters_in_paths_become_underscores():
    incident = make_incident("BG-7K3Q-2M", 10)
    first = replace(incident.evidence[0], arcname="evidence/BG-7K3Q-2M/01-\u202egpj.exe\x00\n.jpg")
    pack = make_pack(replace(incident, evidence=(first,) + incident.evidence[1:]))
    assert zip_paths(pack)[0][0] == "evidence/BG-7K3Q-2M/01-_gpj.exe__.jpg"


# ---------------------------------------------------------------------------------------------------
# ZIP
# ---------------------------------------------------------------------------------------------------


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_zip_contents_manifest_and_sha256sums():
    incidents = (make_incident("BG-AAAA-1A", 1), make_incident("BG-BBBB-2B", 2))
    pack = make_pack(*incidents)
    pdf = render_pdf(pack)
    out = io.BytesIO()
    write_zip(pack, pdf, files_of(pack), out)
    members = read_zip(out.getvalue())

    base = pack_filename(pack)
    assert list(members)[0] == f"{base}.pdf" and members[f"{base}.pdf"] == pdf
    for item, data in files_of(pack):
        assert members[item.arcname] == data
    assert set(members) == {f"{base}.pdf", "manifest.csv", "SHA256SUMS"} | {i.arcname for i, _ in files_of(pack)}

    # SHA256SUMS in `sha256sum -c` format covers every other member, and every line verifies
    sums = members["SHA256SUMS"].decode("utf-8")
    assert sums.endswith("\n")
    listed = {}
    for line in sums.splitlines():
        digest, name = re.fullmatch(r"([0-9a-f]{64})  (\S.*)", line).groups()
        listed[name] = digest
    assert set(listed) == set(members) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(members[name]).hexdigest() == digest, name

    # the manifest: one row per evidence file, with its incident
    rows = list(csv.DictReader(io.StringIO(members["manifest.csv"].decode("utf-8-sig"))))
    assert tuple(rows[0]) == ep.MANIFEST_COLUMNS
    assert len(rows) == 4
    for row, (item, data) in zip(rows, files_of(pack)):
        assert row["arcname"] == item.arcname and row["filename"] == item.filename
        assert row["sha256"] == item.sha256 == listed[item.arcname]
        assert row["size"] == str(len(data))
        assert row["uploaded_at"] == item.uploaded_at.isoformat() and row["uploaded_at"].endswith("+00:00")
        assert row["uploaded_by"] == "Carol Cooper"
        assert row["incident_reference"] == item.arcname.split("/")[1]


def test_zip_compression_and_timestamps():
    pack = make_pack()
    out = io.BytesIO()
    write_zip(pack, render_pdf(pack), files_of(pack), out)
    with zipfile.ZipFile(out) as archive:
        info = {i.filename: i for i in archive.infolist()}
    photo, text = (item.arcname for item in pack.incidents[0].evidence)
    assert info[photo].compress_type == zipfile.ZIP_STORED  # already compressed
    assert info[text].compress_type == zipfile.ZIP_DEFLATED
    assert info["SHA256SUMS"].date_time == (2024, 6, 12, 15, 3, 0)  # UK time of generation
    assert info[photo].date_time == (2024, 6, 11, 14, 3, 0)  # uploaded 13:03 UTC


def test_zip_streams_to_an_unseekable_output():
    class Pipe:
        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))
            return len(data)

        def flush(self):
            pass

    pack = make_pack()
    pipe = Pipe()
    write_zip(pack, render_pdf(pack), iter(files_of(pack)), pipe)
    data = b"".join(pipe.chunks)
    members = read_zip(data)
    assert "SHA256SUMS" in members and len(members) == 5
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    # streamed: sizes follow each member (data descriptor), so a stored member could not be read
    # by streaming unzippers; everything is deflated
    assert all(i.flag_bits & 0x08 and i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
    assert len(pipe.chunks) > 5  # written as it went, not in one piece at the end


def test_tampered_file_is_refused():
    pack = make_pack()
    files = files_of(pack)
    item, data = files[1]
    files[1] = (item, data + b"edited")
    out = io.BytesIO()
    with pytest.raises(ValueError, match=r"'messages.txt' does not match its recorded SHA-256"):
        write_zip(pack, b"%PDF-", files, out)
    assert b"edited" not in out.getvalue()
    with pytest.raises(zipfile.BadZipFile):  # cut off before the central directory: no half pack
        zipfile.ZipFile(out)


def test_recorded_hash_is_compared_without_case():
    pack = make_pack()
    item, data = files_of(pack)[0]
    upper = replace(item, sha256=item.sha256.upper())
    incident = replace(pack.incidents[0], evidence=(upper,))
    pack = replace(pack, incidents=(incident,))
    write_zip(pack, b"%PDF-", [(upper, data)], io.BytesIO())
    bad = replace(upper, sha256="not-a-hash")
    pack = replace(pack, incidents=(replace(incident, evidence=(bad,)),))
    with pytest.raises(ValueError, match="no valid SHA-256"):
        write_zip(pack, b"%PDF-", [(bad, data)], io.BytesIO())


def test_missing_extra_and_repeated_files_are_refused():
    pack = make_pack()
    files = files_of(pack)
    with pytest.raises(ValueError, match="1 of 2 evidence files were not supplied: evidence/BG-7K3Q-2M/02-messages"):
        write_zip(pack, b"%PDF-", files[:1], io.BytesIO())
    stranger = make_evidence("BG-7K3Q-2M", 9, "other.txt", b"other")
    with pytest.raises(ValueError, match="'other.txt' is not listed in this pack"):
        write_zip(pack, b"%PDF-", files + [(stranger, b"other")], io.BytesIO())
    with pytest.raises(ValueError, match="'photo.jpg' was given more than once"):
        write_zip(pack, b"%PDF-", [files[0], files[0], files[1]], io.BytesIO())


def test_same_file_in_two_incidents_goes_in_twice():
    data = b"shared screenshot"
    first = make_incident("BG-AAAA-1A", 1, files={"shot.png": data})
    second = make_incident("BG-BBBB-2B", 2, files={"shot.png": data},
                           evidence=(replace(first.evidence[0]),))  # identical record, same arcname
    pack = make_pack(first, second)
    assert zip_paths(pack) == (("evidence/BG-AAAA-1A/01-shot.png",), ("evidence/BG-AAAA-1A/01-shot-2.png",))
    out = io.BytesIO()
    write_zip(pack, render_pdf(pack), [(first.evidence[0], data), (second.evidence[0], data)], out)
    members = read_zip(out.getvalue())
    rows = list(csv.DictReader(io.StringIO(members["manifest.csv"].decode("utf-8-sig"))))
    assert [(r["arcname"], r["incident_reference"]) for r in rows] == [
        ("evidence/BG-AAAA-1A/01-shot.png", "BG-AAAA-1A"), ("evidence/BG-AAAA-1A/01-shot-2.png", "BG-BBBB-2B")]


def test_manifest_cells_cannot_run_as_spreadsheet_formulas():
    data = b"x"
    item = make_evidence("BG-7K3Q-2M", 1, "=HYPERLINK(\"http://evil\")", data, uploaded_by="@admin\x00",
                         arcname="evidence/BG-7K3Q-2M/01-file")
    pack = make_pack(make_incident("BG-7K3Q-2M", 10, evidence=(item,)))
    out = io.BytesIO()
    write_zip(pack, render_pdf(pack), [(item, data)], out)
    rows = list(csv.DictReader(io.StringIO(read_zip(out.getvalue())["manifest.csv"].decode("utf-8-sig"))))
    assert rows[0]["filename"] == "'=HYPERLINK(\"http://evil\")" and rows[0]["uploaded_by"] == "'@admin"


def test_manifest_follows_the_pack_whatever_order_files_come_in():
    pack = make_pack(make_incident("BG-AAAA-1A", 1), make_incident("BG-BBBB-2B", 2))
    files = files_of(pack)
    out = io.BytesIO()
    write_zip(pack, render_pdf(pack), reversed(files), out)
    members = read_zip(out.getvalue())
    rows = list(csv.DictReader(io.StringIO(members["manifest.csv"].decode("utf-8-sig"))))
    assert [r["arcname"] for r in rows] == [item.arcname for item, _ in files]
    sums = [line.split("  ", 1)[1] for line in members["SHA256SUMS"].decode().splitlines()]
    assert sums == [f"{pack_filename(pack)}.pdf", *(item.arcname for item, _ in files), "manifest.csv"]


@needs_dejavu
def test_regular_dejavu_alone_serves_for_bold_too(monkeypatch, tmp_path):
    (tmp_path / ep.FONT_REGULAR).symlink_to(ep.FONT_DIR / ep.FONT_REGULAR)
    monkeypatch.setattr(ep, "FONT_DIR", tmp_path)
    text = pdf_text(render_pdf(make_pack(make_incident("BG-7K3Q-2M", 10, candidate=WELSH))))
    assert WELSH in text


def test_an_unreadable_font_falls_back_to_helvetica(monkeypatch, tmp_path):
    (tmp_path / ep.FONT_REGULAR).write_bytes(b"not a font")
    monkeypatch.setattr(ep, "FONT_DIR", tmp_path)
    data = render_pdf(make_pack(make_incident("BG-7K3Q-2M", 10, candidate=WELSH)))
    assert b"/BaseFont /Helvetica" in data and "Siân Wyn ap Llyr" in pdf_text(data)


def test_empty_pack_and_missing_times_render():
    incident = make_incident("BG-7K3Q-2M", 10, occurred_at=None, files={}, timeline=(), routes=(), offences=(),
                             observables=(), risk_reasons=(), behaviours=(), characteristics=(), description="")
    text = pdf_text(render_pdf(make_pack(incident, disclaimer="")))
    assert "not known" in text and "No evidence files attached." in text and "No events recorded." in text
    assert "No incidents." in pdf_text(render_pdf(make_pack(make_incident("X", 1), incidents=())))
