"""What an uploaded evidence file really is, decided from its first bytes and never from its name.

Candidates upload screenshots, photos, voice notes, videos, PDFs of letters and text logs. Anything
else is refused: a file's name and the browser's content type are chosen by whoever made the file,
so a program renamed ``photo.jpg`` must not get in. Only the first :data:`SNIFF_BYTES` bytes are
needed, so a caller can decide before storing the rest.

SVG pictures and HTML pages are refused even though they are text: both can carry script that runs
when someone opens them, and evidence is opened by police officers and caseworkers.
"""

from __future__ import annotations

import codecs
import enum
from dataclasses import dataclass

SNIFF_BYTES = 4096
_MiB = 1024 * 1024


class EvidenceKind(str, enum.Enum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    PDF = "pdf"
    TEXT = "text"

    @property
    def label(self) -> str:
        return {"image": "Picture", "audio": "Audio", "video": "Video", "pdf": "PDF", "text": "Text file"}[self.value]


@dataclass(frozen=True)
class EvidenceType:
    kind: EvidenceKind
    mime: str
    extension: str
    label: str
    charset: str = ""  # for text only: "utf-8" or "utf-16" (the byte order mark says which way round)


class EvidenceRejected(ValueError):
    """An upload cannot be used as evidence. ``message`` says why, in GOV.UK error message style."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


MAX_BYTES: dict[EvidenceKind, int] = {
    EvidenceKind.IMAGE: 20 * _MiB,
    EvidenceKind.PDF: 20 * _MiB,
    EvidenceKind.TEXT: 2 * _MiB,
    EvidenceKind.AUDIO: 50 * _MiB,
    EvidenceKind.VIDEO: 100 * _MiB,
}
MAX_UPLOAD_BYTES = max(MAX_BYTES.values())

JPEG = EvidenceType(EvidenceKind.IMAGE, "image/jpeg", "jpg", "JPEG picture")
PNG = EvidenceType(EvidenceKind.IMAGE, "image/png", "png", "PNG picture")
GIF = EvidenceType(EvidenceKind.IMAGE, "image/gif", "gif", "GIF picture")
WEBP = EvidenceType(EvidenceKind.IMAGE, "image/webp", "webp", "WebP picture")
HEIC = EvidenceType(EvidenceKind.IMAGE, "image/heic", "heic", "HEIC picture")
HEIF = EvidenceType(EvidenceKind.IMAGE, "image/heif", "heif", "HEIF picture")
PDF = EvidenceType(EvidenceKind.PDF, "application/pdf", "pdf", "PDF document")
MP3 = EvidenceType(EvidenceKind.AUDIO, "audio/mpeg", "mp3", "MP3 audio")
M4A = EvidenceType(EvidenceKind.AUDIO, "audio/mp4", "m4a", "M4A audio")
WAV = EvidenceType(EvidenceKind.AUDIO, "audio/wav", "wav", "WAV audio")
OGG = EvidenceType(EvidenceKind.AUDIO, "audio/ogg", "ogg", "Ogg audio")
MP4 = EvidenceType(EvidenceKind.VIDEO, "video/mp4", "mp4", "MP4 video")
MOV = EvidenceType(EvidenceKind.VIDEO, "video/quicktime", "mov", "QuickTime video")
THREE_GP = EvidenceType(EvidenceKind.VIDEO, "video/3gpp", "3gp", "3GP video")
WEBM = EvidenceType(EvidenceKind.VIDEO, "video/webm", "webm", "WebM video")
MKV = EvidenceType(EvidenceKind.VIDEO, "video/x-matroska", "mkv", "Matroska video")
TEXT_UTF8 = EvidenceType(EvidenceKind.TEXT, "text/plain", "txt", "Text file", "utf-8")
TEXT_UTF16 = EvidenceType(EvidenceKind.TEXT, "text/plain", "txt", "Text file", "utf-16")

ALLOWED_DESCRIPTION = (
    "pictures (JPEG, PNG, GIF, WebP or HEIC), audio (MP3, M4A, WAV or Ogg), "
    "video (MP4, MOV, 3GP, WebM or MKV), PDFs and text files"
)

_MUST_BE = "It must be a picture, audio, video, PDF or text file"
_BY_CONTENT = "Files are checked by what is in them, not by their name"
_A_KIND = {
    EvidenceKind.IMAGE: "a picture",
    EvidenceKind.AUDIO: "an audio file",
    EvidenceKind.VIDEO: "a video",
    EvidenceKind.PDF: "a PDF",
    EvidenceKind.TEXT: "a text file",
}
# What a file's name claims, used only to explain a refusal: the name never lets a file in.
_CLAIMS = {
    **dict.fromkeys(("jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "heic", "heif"), EvidenceKind.IMAGE),
    **dict.fromkeys(("mp3", "m4a", "wav", "ogg", "oga", "opus"), EvidenceKind.AUDIO),
    **dict.fromkeys(("mp4", "m4v", "mov", "3gp", "webm", "mkv"), EvidenceKind.VIDEO),
    "pdf": EvidenceKind.PDF,
    **dict.fromkeys(("txt", "text", "log", "csv"), EvidenceKind.TEXT),
}
_FTYP_BRANDS = {
    **dict.fromkeys((b"heic", b"heix", b"hevc", b"hevx"), HEIC),
    **dict.fromkeys((b"mif1", b"msf1"), HEIF),
    b"M4A ": M4A,
    **dict.fromkeys((b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V "), MP4),
    b"qt  ": MOV,
}


@dataclass(frozen=True)
class _Refused:
    """A file we recognise and will not take: ``found`` names it, ``advice`` (if any) says what to do."""

    found: str
    advice: str = ""
    kind: EvidenceKind | None = None  # what it would count as if it were allowed


_OFFICE_ADVICE = "Save it as a PDF and upload that instead"
_PICTURE_ADVICE = "Save it as a JPEG or PNG and upload that instead"
_SVG = _Refused("an SVG image", "SVG images can contain hidden code, so take a screenshot of it and upload that instead", EvidenceKind.IMAGE)
_HTML = _Refused("a web page (HTML)", "Web pages can contain hidden code, so save it as a PDF or take a screenshot and upload that instead", EvidenceKind.TEXT)
_NOT_UTF8 = _Refused("a text file that is not saved as UTF-8", "Save it with UTF-8 encoding and upload it again", EvidenceKind.TEXT)


def sniff(head: bytes, *, complete: bool = False) -> EvidenceType | None:
    """The allowed type of a file from its first :data:`SNIFF_BYTES` bytes, or ``None``.

    ``complete`` says ``head`` is the whole file; otherwise a multi-byte character cut off at the end
    of ``head`` is not held against a text file.
    """
    found = _examine(head, complete=complete)
    return found if isinstance(found, EvidenceType) else None


def check_evidence(head: bytes, size: int, filename: str = "") -> EvidenceType:
    """The type of an upload of ``size`` bytes that starts with ``head``; raise :class:`EvidenceRejected`
    if it is empty, not an allowed type, or too large for its type. ``filename`` only shapes the message."""
    if size < 0:
        raise ValueError("size must not be negative")
    if size == 0:
        raise EvidenceRejected("The selected file is empty")
    found = _examine(head, complete=size <= len(head))
    if isinstance(found, EvidenceType):
        limit = MAX_BYTES[found.kind]
        if size > limit:
            raise EvidenceRejected(f"The selected file must be smaller than {limit // _MiB} MB")
        return found
    raise EvidenceRejected(_refusal(found, filename))


def _refusal(found: _Refused | None, filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""
    claimed = _CLAIMS.get(extension)
    if claimed is not None:
        says = f"The selected file says it is a .{extension} but it is"
        if found is None:
            return f"{says} not {_A_KIND[claimed]}. {_BY_CONTENT}. {_MUST_BE}"
        if found.kind is claimed:
            return f"{says} {found.found}. {found.advice or _MUST_BE}"
        return f"{says} not {_A_KIND[claimed]}: it is {found.found}. {found.advice or _BY_CONTENT}"
    if found is None:
        return "The selected file must be a picture, audio, video, PDF or text file"
    return f"The selected file is {found.found}. {found.advice or _MUST_BE}"


def _examine(head: bytes, *, complete: bool) -> EvidenceType | _Refused | None:
    data = head[:SNIFF_BYTES]
    complete = complete and len(head) <= SNIFF_BYTES
    return _binary(data) or _refused_binary(data) or _text(data, complete)


def _binary(d: bytes) -> EvidenceType | None:
    if d.startswith(b"\xff\xd8\xff"):
        return JPEG
    if d.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if d.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if d.startswith(b"%PDF-"):
        return PDF
    if d.startswith(b"RIFF") and d[8:12] == b"WEBP":
        return WEBP
    if d.startswith(b"RIFF") and d[8:12] == b"WAVE":
        return WAV
    if d.startswith(b"OggS\x00"):
        return OGG
    if d.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names its document type in the first few dozen bytes.
        return WEBM if b"webm" in d[:64] else MKV
    if d.startswith(b"ID3") and len(d) >= 5 and d[3] in (2, 3, 4) and d[4] != 0xFF:
        return MP3
    if _is_mpeg_audio_frame(d):
        return MP3
    return _iso_media(d)


def _is_mpeg_audio_frame(d: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real version, layer II or III, a usable bit rate
    and sample rate. Layer I and AAC are left out, which keeps ``FF FE`` (UTF-16 text) from matching."""
    if len(d) < 3 or d[0] != 0xFF or d[1] & 0xE0 != 0xE0:
        return False
    version, layer = (d[1] >> 3) & 3, (d[1] >> 1) & 3
    return version != 1 and layer in (1, 2) and d[2] >> 4 != 15 and (d[2] >> 2) & 3 != 3


def _iso_media(d: bytes) -> EvidenceType | None:
    """MP4, MOV, 3GP, M4A and HEIF files start with an ``ftyp`` box: a major brand, then compatible ones."""
    if len(d) < 12 or d[4:8] != b"ftyp":
        return None
    size = int.from_bytes(d[0:4], "big")
    brands = [d[8:12]] + [d[i : i + 4] for i in range(16, min(size, len(d)) - 3, 4)]
    if brands[0] in (b"avif", b"avis"):
        return None
    for brand in brands:
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
        if brand.startswith((b"3gp", b"3g2")):
            return THREE_GP
    return None


def _refused_binary(d: bytes) -> _Refused | None:
    if d.startswith(b"MZ") and b"\x00" in d[:64]:
        return _Refused("a Windows program")
    if d.startswith(b"\x7fELF"):
        return _Refused("a Linux program")
    if d.startswith((b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return _Refused("a Mac program")
    if d.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if b"word/" in d:
            return _Refused("a Word document", _OFFICE_ADVICE)
        if b"xl/" in d:
            return _Refused("an Excel spreadsheet", _OFFICE_ADVICE)
        if b"ppt/" in d:
            return _Refused("a PowerPoint presentation", _OFFICE_ADVICE)
        if b"mimetypeapplication/vnd.oasis.opendocument" in d:
            return _Refused("an OpenDocument file", _OFFICE_ADVICE)
        return _Refused("a ZIP archive")
    if d.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _Refused("an older Microsoft Office file", _OFFICE_ADVICE)
    if d.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return _Refused("a compressed archive")
    if d.startswith((b"II*\x00", b"MM\x00*")):
        return _Refused("a TIFF picture", _PICTURE_ADVICE, EvidenceKind.IMAGE)
    if d.startswith(b"BM") and d[6:10] == b"\x00\x00\x00\x00":
        return _Refused("a BMP picture", _PICTURE_ADVICE, EvidenceKind.IMAGE)
    if len(d) >= 12 and d[4:8] == b"ftyp" and d[8:12] in (b"avif", b"avis"):
        return _Refused("an AVIF picture", _PICTURE_ADVICE, EvidenceKind.IMAGE)
    if d.startswith(b"RIFF") and d[8:12] == b"AVI ":
        return _Refused("an AVI video", "Save it as an MP4 and upload that instead", EvidenceKind.VIDEO)
    return None


# Control characters that turn up in real text files: whitespace, the DOS end-of-file mark, and the
# escape that starts terminal colour codes. Any other means the file is not text.
_TEXT_CONTROLS = set("\t\n\v\f\r\x1a\x1b")


def _text(d: bytes, complete: bool) -> EvidenceType | _Refused | None:
    if d.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, kind = "utf-16", TEXT_UTF16  # the decoder reads and drops the byte order mark
    else:
        encoding, kind = "utf-8-sig", TEXT_UTF8
    try:
        text = codecs.getincrementaldecoder(encoding)("strict").decode(d, final=complete)
    except UnicodeDecodeError:
        return _NOT_UTF8 if encoding == "utf-8-sig" and _looks_like_8bit_text(d) else None
    if not _is_clean(text):
        return None
    return _markup(text) or kind


def _is_clean(text: str) -> bool:
    return not any(ch < " " and ch not in _TEXT_CONTROLS for ch in text)


def _looks_like_8bit_text(d: bytes) -> bool:
    """Text in Windows-1252 or Latin-1, as older editors save it: every byte is a character and there
    are no control characters."""
    try:
        return _is_clean(d.decode("cp1252"))
    except UnicodeDecodeError:
        return False


def _markup(text: str) -> _Refused | None:
    start = text.lstrip("\ufeff \t\r\n\f\v").lower()
    if start.startswith(("<svg", "<!doctype svg")):
        return _SVG
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
        return _HTML
    if start.startswith(("<?xml", "<!--", "<!doctype")):
        if "<svg" in start:
            return _SVG
        if "<html" in start or "<!doctype html" in start:
            return _HTML
    return None


__all__ = [
    "ALLOWED_DESCRIPTION",
    "MAX_BYTES",
    "MAX_UPLOAD_BYTES",
    "SNIFF_BYTES",
    "EvidenceKind",
    "EvidenceRejected",
    "EvidenceType",
    "check_evidence",
    "sniff",
]
