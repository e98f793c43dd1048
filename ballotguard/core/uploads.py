"""Upload handling for every form and API call that takes a file: it refuses oversized files while they arrive, not after they are on disk.

Django streams file uploads through handlers chunk by chunk. This one sits in front of the standard
temporary-file handler: it counts each file's bytes and skips a file (``request.upload_too_large``
names it) as soon as it passes the largest size any upload may have; a request whose declared length
is already far over that is not read at all. The view then says which file was too large; nothing
stored before is touched.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, StopUpload, TemporaryFileUploadHandler
from django.utils.translation import gettext

from ballotguard.engines.incidents.evidence_types import MAX_UPLOAD_BYTES


def upload_limit() -> int:
    return max(MAX_UPLOAD_BYTES, settings.BALLOTGUARD_MAX_IMPORT_BYTES)


def too_large_message() -> str:
    """What a refused upload is told, from the limit actually applied."""
    limit = upload_limit()
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return gettext("The selected file must be smaller than %(size)s") % {"size": size}


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Writes every upload (evidence files, imports) to a temporary file (never memory) and stops at :func:`upload_limit`."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self._seen = 0
        # Multipart framing adds a little; anything beyond a generous margin is refused unread.
        if content_length and content_length > upload_limit() + 1024 * 1024:
            self.request.upload_too_large = "request"
            raise StopUpload(connection_reset=True)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, field_name, *args, **kwargs):
        self._seen = 0
        self._field = field_name
        return super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self._seen += len(raw_data)
        if self._seen > upload_limit():
            self.request.upload_too_large = self._field
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)
