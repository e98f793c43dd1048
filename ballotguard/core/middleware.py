"""Hostile input refused at the door, before CSRF or any view reads it (issue 14).

It is the last middleware in ``settings.MIDDLEWARE``: every ``__call__`` runs before any
``process_view``, so it still answers before the CSRF middleware reads the body, and its pages get
the session, the user and the security headers like any other.

- A request body larger than any upload may be (``Content-Length``) is answered 413 at once, with a
  GOV.UK page or a JSON error: before this, Django's "stop reading" signal escaped the CSRF
  middleware as a 500.
- A control character (NUL and the like) in the path or a query value is answered 400 naming the
  parameter (JSON: 422 in the API's field-error shape). PostgreSQL cannot store or compare NUL, so
  before this a ``%00`` in a filter was a 500 there and not on SQLite.
- In a JSON request to the API, a string holding a control character other than tab, line feed and
  carriage return is answered 422 naming the field, whatever endpoint it was meant for.

Form fields on pages are checked by ``core.forms.GovukForm`` (Django's forms refuse NUL already).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from ballotguard.core import uploads
from ballotguard.core.forms import has_control_characters as _bad_text


def body_limit(request) -> int:
    """The largest body a request may have: file uploads (multipart) up to the upload limit, anything
    else up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, with room for multipart framing and form fields."""
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        return uploads.upload_limit() + 1024 * 1024
    return (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2**62) + 64 * 1024


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _page(request, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def _field_error(request, where: str, field: str, message: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": [{"field": field, "message": message, "loc": [where, field]}]}, status=422)
    return _page(request, 400, gettext("There is a problem with the address"), f"{field}: {message}" if field else message)


def _find_bad_string(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in decoded JSON with a control character."""
    if isinstance(value, str):
        return path if _bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _bad_text(key):
                return child
            found = _find_bad_string(item, child)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_bad_string(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit(request)
        if length > limit:
            message = uploads.too_large_message() if request.META.get("CONTENT_TYPE", "").startswith("multipart/") else (
                gettext("The request is too large: the limit is %(limit)s KB for anything but a file upload") % {"limit": f"{limit // 1024:,}"})
            if _is_api(request):
                return JsonResponse({"detail": message}, status=413)
            return _page(request, 413, gettext("The file is too large"), message)

        if _bad_text(request.path_info):
            return _field_error(request, "path", "", gettext("The address contains a control character (such as NUL): remove it"))
        for name, values in request.GET.lists():
            if _bad_text(name) or any(_bad_text(v) for v in values):
                return _field_error(request, "query", name.replace("\x00", ""),
                                    gettext("Remove the control character (such as NUL) from this value"))

        if _is_api(request) and request.META.get("CONTENT_TYPE", "").startswith("application/json") and length:
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                data = None  # ninja answers malformed JSON with its own 422/400
            bad = _find_bad_string(data) if data is not None else None
            if bad is not None:
                return JsonResponse({"detail": [{"field": bad, "message": gettext("Remove the control character (such as NUL) from this text"),
                                                 "loc": ["body", *bad.replace("[", ".").replace("]", "").split(".")]}]}, status=422)
        return self.get_response(request)
