"""Evidence files are judged by their first bytes: real headers get in, whatever they are called, and
programs, archives and scriptable documents stay out, whatever they are called."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.incidents.evidence_types import (
    ALLOWED_DESCRIPTION,
    MAX_BYTES,
    MAX_UPLOAD_BYTES,
    SNIFF_BYTES,
    EvidenceKind,
    EvidenceRejected,
    EvidenceType,
    check_evidence,
    sniff,
)

MiB = 1024 * 1024


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    box = struct.pack(">I", 8 + len(body)) + b"ftyp" + body
    return box + struct.pack(">I", 16) + b"mdat" + b"\x00" * 8


def riff(form: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 1000) + form + b"fmt " + struct.pack("<I", 16) + b"\x01\x00" * 8


def ebml(doctype: bytes) -> bytes:
    element = b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    header = b"\x42\x86\x81\x01\x42\xf7\x81\x01" + element
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + b"\x18\x53\x80\x67"


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
WEBP = b"RIFF" + struct.pack("<I", 26) + b"WEBPVP8L" + struct.pack("<I", 14) + b"\x2f\x00\x00\x00\x10"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + b"This program cannot be run in DOS mode."
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00!\x00" + b"\x00" * 12 + b"\x09\x00\x00\x00notes.txt"
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"\x00" * 12 + b"\x13\x00\x00\x00[Content_Types].xml" + b"\x00" * 40 + b"word/document.xml"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    "head, mime, extension, kind",
    [
        pytest.param(JPEG, "image/jpeg", "jpg", EvidenceKind.IMAGE, id="jpeg"),
        pytest.param(b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", "image/jpeg", "jpg", EvidenceKind.IMAGE, id="jpeg-exif"),
        pytest.param(PNG, "image/png", "png", EvidenceKind.IMAGE, id="png"),
        pytest.param(GIF, "image/gif", "gif", EvidenceKind.IMAGE, id="gif89a"),
        pytest.param(b"GIF87a\x01\x00\x01\x00", "image/gif", "gif", EvidenceKind.IMAGE, id="gif87a"),
        pytest.param(WEBP, "image/webp", "webp", EvidenceKind.IMAGE, id="webp"),
        pytest.param(ftyp(b"heic", b"mif1", b"heic"), "image/heic", "heic", EvidenceKind.IMAGE, id="heic"),
        pytest.param(ftyp(b"heix", b"mif1"), "image/heic", "heic", EvidenceKind.IMAGE, id="heix"),
        pytest.param(ftyp(b"mif1", b"mif1", b"miaf"), "image/heif", "heif", EvidenceKind.IMAGE, id="heif-mif1"),
        pytest.param(ftyp(b"msf1", b"msf1"), "image/heif", "heif", EvidenceKind.IMAGE, id="heif-msf1"),
        pytest.param(PDF, "application/pdf", "pdf", EvidenceKind.PDF, id="pdf"),
        pytest.param(b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE", "audio/mpeg", "mp3", EvidenceKind.AUDIO, id="mp3-id3"),
        pytest.param(b"\xff\xfb\x90\x64\x00\x00\x00\x00", "audio/mpeg", "mp3", EvidenceKind.AUDIO, id="mp3-frame-mpeg1"),
        pytest.param(b"\xff\xf3\x64\xc4\x00\x00\x00\x00", "audio/mpeg", "mp3", EvidenceKind.AUDIO, id="mp3-frame-mpeg2"),
        pytest.param(ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4", "m4a", EvidenceKind.AUDIO, id="m4a"),
        pytest.param(riff(b"WAVE"), "audio/wav", "wav", EvidenceKind.AUDIO, id="wav"),
        pytest.param(b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead", "audio/ogg", "ogg", EvidenceKind.AUDIO, id="ogg-opus"),
        pytest.param(ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4", "mp4", EvidenceKind.VIDEO, id="mp4-isom"),
        pytest.param(ftyp(b"mp42", b"mp42", b"isom"), "video/mp4", "mp4", EvidenceKind.VIDEO, id="mp4-mp42"),
        pytest.param(ftyp(b"mp41"), "video/mp4", "mp4", EvidenceKind.VIDEO, id="mp4-mp41"),
        pytest.param(ftyp(b"avc1"), "video/mp4", "mp4", EvidenceKind.VIDEO, id="mp4-avc1"),
        pytest.param(ftyp(b"MSNV", b"MSNV", b"isom", b"mp42"), "video/mp4", "mp4", EvidenceKind.VIDEO, id="mp4-by-compatible-brand"),
        pytest.param(ftyp(b"qt  ", b"qt  "), "video/quicktime", "mov", EvidenceKind.VIDEO, id="mov"),
        pytest.param(ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp", "3gp", EvidenceKind.VIDEO, id="3gp"),
        pytest.param(ebml(b"webm"), "video/webm", "webm", EvidenceKind.VIDEO, id="webm"),
        pytest.param(ebml(b"matroska"), "video/x-matroska", "mkv", EvidenceKind.VIDEO, id="mkv"),
        pytest.param("Messages from 3 May\n\n21:04 – you’ll regret standing\n".encode(), "text/plain", "txt", EvidenceKind.TEXT, id="text-utf8"),
        pytest.param("\ufeffcafé notes\r\n".encode("utf-8"), "text/plain", "txt", EvidenceKind.TEXT, id="text-utf8-bom"),
        pytest.param("MZ told me at the count\n".encode(), "text/plain", "txt", EvidenceKind.TEXT, id="text-starting-mz"),
        pytest.param(b"<?xml version=\"1.0\"?><note>not svg</note>", "text/plain", "txt", EvidenceKind.TEXT, id="text-plain-xml"),
    ],
)
def test_allowed_types_are_recognised_by_their_first_bytes(head, mime, extension, kind):
    found = sniff(head)
    assert found is not None and (found.mime, found.extension, found.kind) == (mime, extension, kind)
    assert check_evidence(head, len(head) + 1000, "upload.bin") == found


@pytest.mark.parametrize(
    "text, encoding",
    [
        pytest.param("Wrth y cyfrif: ŵ ŷ – “quoted”\n", "utf-16", id="utf-16-native"),
        pytest.param("Wrth y cyfrif: ŵ ŷ\n", "utf-16-le", id="utf-16-le"),
        pytest.param("Wrth y cyfrif: ŵ ŷ\n", "utf-16-be", id="utf-16-be"),
    ],
)
def test_utf16_text_with_a_byte_order_mark(text, encoding):
    head = text.encode(encoding)
    if encoding != "utf-16":
        head = ("\ufeff" + text).encode(encoding)
    found = check_evidence(head, len(head), "log.txt")
    assert (found.kind, found.charset) == (EvidenceKind.TEXT, "utf-16")


def test_utf16_without_a_byte_order_mark_is_not_text():
    assert sniff("hello".encode("utf-16-le")) is None


def test_text_says_its_charset():
    assert sniff(b"plain").charset == "utf-8"
    assert sniff(b"\xff\xfeh\x00i\x00").charset == "utf-16"


def test_a_head_cut_inside_a_character_is_still_text():
    body = ("a" * (SNIFF_BYTES - 1) + "é and more").encode()
    head = body[:SNIFF_BYTES]
    assert head[-1:] == b"\xc3"  # the first byte of é, its second byte cut off
    assert sniff(head).kind is EvidenceKind.TEXT
    assert check_evidence(head, len(body), "notes.txt").kind is EvidenceKind.TEXT
    assert sniff(body).kind is EvidenceKind.TEXT  # a longer head is cut at SNIFF_BYTES too


def test_a_utf16_head_cut_inside_a_surrogate_pair_is_still_text():
    body = ("\ufeff" + "a" * 2046 + "😀 more").encode("utf-16-le")
    head = body[:SNIFF_BYTES]
    assert sniff(head).kind is EvidenceKind.TEXT
    assert check_evidence(head, len(body)).charset == "utf-16"


def test_a_whole_file_that_ends_inside_a_character_is_not_text():
    data = "café".encode()[:-1]
    assert sniff(data) is not None  # might be the head of a longer file
    assert sniff(data, complete=True) is None
    with pytest.raises(EvidenceRejected):
        check_evidence(data, len(data), "notes.txt")


@pytest.mark.parametrize(
    "head, message",
    [
        pytest.param(EXE, "The selected file is a Windows program. It must be a picture, audio, video, PDF or text file", id="exe"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8, "The selected file is a Linux program. It must be a picture, audio, video, PDF or text file", id="elf"),
        pytest.param(b"\xcf\xfa\xed\xfe\x0c\x00\x00\x01", "The selected file is a Mac program. It must be a picture, audio, video, PDF or text file", id="mach-o"),
        pytest.param(ZIP, "The selected file is a ZIP archive. It must be a picture, audio, video, PDF or text file", id="zip"),
        pytest.param(b"PK\x05\x06" + b"\x00" * 18, "The selected file is a ZIP archive. It must be a picture, audio, video, PDF or text file", id="empty-zip"),
        pytest.param(DOCX, "The selected file is a Word document. Save it as a PDF and upload that instead", id="docx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "The selected file is an older Microsoft Office file. Save it as a PDF and upload that instead", id="ole"),
        pytest.param(b"Rar!\x1a\x07\x01\x00", "The selected file is a compressed archive. It must be a picture, audio, video, PDF or text file", id="rar"),
        pytest.param(b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "The selected file is a compressed archive. It must be a picture, audio, video, PDF or text file", id="gzip"),
        pytest.param(b"II*\x00\x08\x00\x00\x00", "The selected file is a TIFF picture. Save it as a JPEG or PNG and upload that instead", id="tiff"),
        pytest.param(b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "The selected file is a BMP picture. Save it as a JPEG or PNG and upload that instead", id="bmp"),
        pytest.param(ftyp(b"avif", b"mif1", b"avif"), "The selected file is an AVIF picture. Save it as a JPEG or PNG and upload that instead", id="avif"),
        pytest.param(riff(b"AVI "), "The selected file is an AVI video. Save it as an MP4 and upload that instead", id="avi"),
        pytest.param(SVG, "The selected file is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead", id="svg"),
        pytest.param(b"\xef\xbb\xbf \r\n\t<SVG viewBox='0 0 1 1'/>", "The selected file is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead", id="svg-bom-space-upper"),
        pytest.param(b'<?xml version="1.0"?>\n<!-- made by hand -->\n<svg/>', "The selected file is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead", id="svg-after-xml"),
        pytest.param(b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">', "The selected file is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead", id="svg-doctype"),
        pytest.param("<svg onload='alert(1)'/>".encode("utf-16"), "The selected file is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead", id="svg-utf16"),
        pytest.param(HTML, "The selected file is a web page (HTML). Web pages can contain hidden code, so save it as a PDF or take a screenshot and upload that instead", id="html"),
        pytest.param(b"\n  <HTML><body>hi</body></HTML>", "The selected file is a web page (HTML). Web pages can contain hidden code, so save it as a PDF or take a screenshot and upload that instead", id="html-upper"),
        pytest.param(b'<?xml version="1.0"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"/>', "The selected file is a web page (HTML). Web pages can contain hidden code, so save it as a PDF or take a screenshot and upload that instead", id="xhtml"),
        pytest.param("£5 deposit – refunded\n".encode("cp1252"), "The selected file is a text file that is not saved as UTF-8. Save it with UTF-8 encoding and upload it again", id="cp1252-text"),
        pytest.param(bytes(range(256)), "The selected file must be a picture, audio, video, PDF or text file", id="unknown-binary"),
        pytest.param(b"\x00\x00\x00\x00", "The selected file must be a picture, audio, video, PDF or text file", id="zeros"),
        pytest.param(ftyp(b"crx ", b"crx "), "The selected file must be a picture, audio, video, PDF or text file", id="unknown-ftyp-brand"),
        pytest.param(b"\xff\xfe\x00\x00h\x00\x00\x00", "The selected file must be a picture, audio, video, PDF or text file", id="utf-32"),
    ],
)
def test_refused_files_say_what_they_are(head, message):
    assert sniff(head) is None
    with pytest.raises(EvidenceRejected) as err:
        check_evidence(head, len(head), "")
    assert err.value.message == message == str(err.value)


@pytest.mark.parametrize(
    "head, filename, message",
    [
        pytest.param(
            EXE, "photo.jpg",
            "The selected file says it is a .jpg but it is not a picture: it is a Windows program. Files are checked by what is in them, not by their name",
            id="exe-as-jpg",
        ),
        pytest.param(
            ZIP, "C:\\Users\\me\\Desktop\\statement.PDF",
            "The selected file says it is a .pdf but it is not a PDF: it is a ZIP archive. Files are checked by what is in them, not by their name",
            id="zip-as-pdf-windows-path",
        ),
        pytest.param(
            bytes(range(256)), "voicemail.mp3",
            "The selected file says it is a .mp3 but it is not an audio file. Files are checked by what is in them, not by their name. It must be a picture, audio, video, PDF or text file",
            id="unknown-as-mp3",
        ),
        pytest.param(
            bytes(range(256)), "clip.mov",
            "The selected file says it is a .mov but it is not a video. Files are checked by what is in them, not by their name. It must be a picture, audio, video, PDF or text file",
            id="unknown-as-mov",
        ),
        pytest.param(
            SVG, "logo.png",
            "The selected file says it is a .png but it is an SVG image. SVG images can contain hidden code, so take a screenshot of it and upload that instead",
            id="svg-as-png",
        ),
        pytest.param(
            HTML, "messages.txt",
            "The selected file says it is a .txt but it is a web page (HTML). Web pages can contain hidden code, so save it as a PDF or take a screenshot and upload that instead",
            id="html-as-txt",
        ),
        pytest.param(
            DOCX, "letter.txt",
            "The selected file says it is a .txt but it is not a text file: it is a Word document. Save it as a PDF and upload that instead",
            id="docx-as-txt",
        ),
        pytest.param(
            b"II*\x00\x08\x00\x00\x00", "scan.jpeg",
            "The selected file says it is a .jpeg but it is a TIFF picture. Save it as a JPEG or PNG and upload that instead",
            id="tiff-as-jpeg",
        ),
        pytest.param(EXE, "setup.exe", "The selected file is a Windows program. It must be a picture, audio, video, PDF or text file", id="exe-named-exe"),
        pytest.param(bytes(range(256)), ".jpg", "The selected file must be a picture, audio, video, PDF or text file", id="dotfile-claims-nothing"),
        pytest.param(bytes(range(256)), "jpg", "The selected file must be a picture, audio, video, PDF or text file", id="no-extension"),
    ],
)
def test_mislabelled_files_are_explained(head, filename, message):
    with pytest.raises(EvidenceRejected) as err:
        check_evidence(head, len(head), filename)
    assert err.value.message == message


@pytest.mark.parametrize(
    "head, filename, mime",
    [
        pytest.param(PNG, "photo.jpg", "image/png", id="png-named-jpg"),
        pytest.param(JPEG, "screenshot.png", "image/jpeg", id="jpeg-named-png"),
        pytest.param(PDF, "letter.docx", "application/pdf", id="pdf-named-docx"),
        pytest.param(b"just words", "evil.exe", "text/plain", id="text-named-exe"),
        pytest.param(ftyp(b"M4A "), "voice-note.mp3", "audio/mp4", id="m4a-named-mp3"),
    ],
)
def test_content_wins_over_the_name(head, filename, mime):
    assert check_evidence(head, len(head), filename).mime == mime


@pytest.mark.parametrize(
    "head, kind, megabytes",
    [
        pytest.param(JPEG, EvidenceKind.IMAGE, 20, id="image"),
        pytest.param(PDF, EvidenceKind.PDF, 20, id="pdf"),
        pytest.param(b"notes\n", EvidenceKind.TEXT, 2, id="text"),
        pytest.param(riff(b"WAVE"), EvidenceKind.AUDIO, 50, id="audio"),
        pytest.param(ftyp(b"qt  "), EvidenceKind.VIDEO, 100, id="video"),
    ],
)
def test_size_limits_per_kind(head, kind, megabytes):
    assert MAX_BYTES[kind] == megabytes * MiB
    assert check_evidence(head, megabytes * MiB).kind is kind
    with pytest.raises(EvidenceRejected) as err:
        check_evidence(head, megabytes * MiB + 1)
    assert err.value.message == f"The selected file must be smaller than {megabytes} MB"


def test_largest_upload_is_the_video_limit():
    assert MAX_UPLOAD_BYTES == 100 * MiB


@pytest.mark.parametrize("head", [b"", JPEG], ids=["no-bytes", "jpeg-header-but-size-0"])
def test_empty_file(head):
    with pytest.raises(EvidenceRejected) as err:
        check_evidence(head, 0, "photo.jpg")
    assert err.value.message == "The selected file is empty"


def test_negative_size_is_a_programming_error():
    with pytest.raises(ValueError):
        check_evidence(JPEG, -1)


def test_labels_and_description():
    assert sniff(JPEG) == EvidenceType(EvidenceKind.IMAGE, "image/jpeg", "jpg", "JPEG picture")
    assert [k.label for k in EvidenceKind] == ["Picture", "Audio", "Video", "PDF", "Text file"]
    for name in ("JPEG", "PNG", "HEIC", "MP3", "M4A", "MP4", "MOV", "PDF", "text"):
        assert name in ALLOWED_DESCRIPTION


@given(st.binary(max_size=SNIFF_BYTES + 16), st.integers(min_value=0, max_value=2 * MAX_UPLOAD_BYTES), st.text(max_size=20))
def test_any_bytes_are_either_typed_or_rejected(head, size, filename):
    found = sniff(head)
    assert found is None or found.kind in MAX_BYTES
    try:
        checked = check_evidence(head, size, filename)
    except EvidenceRejected as err:
        assert err.message.startswith("The selected file ")
    else:
        assert size > 0 and checked.kind in MAX_BYTES and size <= MAX_BYTES[checked.kind]
