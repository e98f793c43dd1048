"""The JSON API under ``/api/v1/``: one django-ninja instance, its authentication and its error bodies.

Each app contributes one router (``ballotguard/<app>/api.py``); endpoints stay thin and call the app's
services, which own scope, transactions and audit.

Authentication (classes in ``accounts/api.py``)
    Two ways in, tried in this order:

    * ``Authorization: Bearer bg_...``: an ``ApiToken`` (see ``POST /api/v1/tokens``). No CSRF: the
      browser never sends this header by itself.
    * The Django session, so pages can call the API. Unsafe methods need the CSRF token
      (``X-CSRFToken`` header) exactly as forms do. A FEOA, analyst or administrator whose session has
      not passed the second factor is refused (``RequireMfaMiddleware`` already answers 401 for
      ``/api/`` paths; the session auth checks again so the API is safe without the middleware).

Error bodies
    Always JSON with a ``detail`` key:

    * 401 ``{"detail": "Authentication required: ..."}``
    * 403 ``{"detail": "..."}`` when the role may never use the endpoint.
    * 404 ``{"detail": "Not found."}``, also for a record outside the caller's scope, so the API never
      says that something exists where the caller cannot see it.
    * 422 ``{"detail": [{"field": "items[2].phone", "message": "...", "loc": [...]}]}``.
    * 500 ``{"detail": "..."}``; the log records the exception's class and the path, never its text.

    Nothing the client sent is echoed back: pydantic's ``input`` and ``ctx`` are dropped.

Documentation
    The schema is ``/api/v1/openapi.json``. Ninja's own docs page is switched off because, unless
    ``ninja`` is in ``INSTALLED_APPS``, it loads Swagger UI from a CDN, which the CSP
    (``script-src 'self'``) blocks. :func:`api_docs` (mounted at ``/api/docs``) serves ninja's
    self-hosted Swagger UI (no inline script) when ``ninja`` is installed as an app, and otherwise a
    plain server-rendered list of the operations with a link to the schema.
"""

import logging
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, path, re_path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from ballotguard.accounts.api import bearer_auth, session_auth
from ballotguard.accounts.api import router as accounts_router
from ballotguard.checkins.api import router as checkins_router
from ballotguard.incidents.api import router as incidents_router
from ballotguard.insights.api import router as insights_router
from ballotguard.monitoring.api import router as monitoring_router
from ballotguard.outreach.api import router as outreach_router
from ballotguard.safety.api import router as safety_router
from ballotguard.sharing.api import router as sharing_router
from ballotguard.registry.api import router as registry_router
from ballotguard.survey.api import router as survey_router
from ballotguard.registry.services import NotPermitted
from ballotguard.core.throttling import api_throttles

logger = logging.getLogger("ballotguard.api")

API_TITLE = "Ballotguard API"


class BallotguardAPI(NinjaAPI):
    """Ninja, with JSON bodies for the errors Django would otherwise answer in HTML.

    Every view is wrapped so a 405 (wrong method) and a 404 raised outside an operation become JSON;
    ``/api/v1/`` answers with where the docs are, and any other unknown path under it is a JSON 404.
    """

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_errors(pattern.callback)
        return [path("", _api_index, name="api-index"), *patterns, re_path(r"^.*$", _unknown_path)]


def _json_errors(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"detail": "Not found."}, status=404)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            json_response = JsonResponse({"detail": f"Method not allowed: use {allowed}."}, status=405)
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


@csrf_exempt
def _unknown_path(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found."}, status=404)


@require_GET
def _api_index(request):
    return JsonResponse({"docs": reverse("api-docs") if _has_route("api-docs") else None, "openapi": reverse("api-v1:openapi-json")})


def _has_route(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


api = BallotguardAPI(
    title=API_TITLE,
    version="1",
    description=(
        "Ballotguard's JSON API. Authenticate with `Authorization: Bearer <token>` (create one with "
        "`POST /api/v1/tokens` from a signed-in browser session) or with the browser session itself, "
        "sending `X-CSRFToken` on unsafe methods. Records outside your scope answer 404."
    ),
    urls_namespace="api-v1",
    throttle=api_throttles(),
    auth=[bearer_auth, session_auth],
    docs_url=None,
)


# ---------------------------------------------------------------------------------------------------
# Error bodies

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_name(loc: list | tuple, *, drop_param: bool = False) -> str:
    """``("body", "payload", "items", 2, "phone")`` → ``"items[2].phone"``.

    The first element is where ninja found the value; for JSON bodies the second is the name of the
    endpoint's parameter that holds the schema, which means nothing to a client.
    """
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        where = parts.pop(0)
        if where == "body" and drop_param and len(parts) > 1:
            parts.pop(0)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: dict) -> str:
    msg = str(error.get("msg", "Invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def field_errors(errors: list[dict]) -> list[dict[str, Any]]:
    """Ninja/pydantic errors as ``{"field", "message", "loc"}``; the offending input is never included."""
    out = []
    for error in errors:
        loc = list(error.get("loc", ()))
        out.append({"field": field_name(loc, drop_param=True), "message": _message(error), "loc": loc})
    return out


def error_response(request: HttpRequest, status: int, detail: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    response = api.create_response(request, {"detail": detail}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return error_response(request, 422, field_errors(exc.errors))


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return error_response(
        request, 401,
        "Authentication required: send 'Authorization: Bearer <token>', or sign in (with your second factor where your role needs one).",
        headers={"WWW-Authenticate": 'Bearer realm="ballotguard"'},
    )


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    wait = max(1, int(exc.wait or 1))
    return error_response(request, 429, f"Too many requests: try again in {wait} seconds.", headers={"Retry-After": str(wait)})


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return error_response(request, 404, "Not found.")


@api.exception_handler(NotPermitted)
def _not_permitted(request, exc: NotPermitted):
    return error_response(request, 403, str(exc) or "You do not have permission to do this.")


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    if settings.DEBUG:
        raise exc
    # Class and path only: an exception's text can hold personal data (an integrity error quotes values).
    logger.error("API error %s on %s %s", type(exc).__name__, request.method, request.path)
    return error_response(request, 500, "Something went wrong. The error has been logged; please try again later.")


# ---------------------------------------------------------------------------------------------------
# Routers, one per app

api.add_router("", accounts_router)
api.add_router("", registry_router)
api.add_router("", incidents_router)
api.add_router("", monitoring_router)
api.add_router("", safety_router)
api.add_router("", checkins_router)
api.add_router("", outreach_router)
api.add_router("", insights_router)
api.add_router("", sharing_router)
api.add_router("", survey_router)


# ---------------------------------------------------------------------------------------------------
# Documentation page (mounted at /api/docs in ballotguard/urls.py)


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive docs when ninja's static Swagger UI can be served, otherwise a plain list of operations."""
    if "ninja" in settings.INSTALLED_APPS:
        # ninja/swagger.html loads swagger-ui-bundle.js and swagger-ui-init.js from /static/ and keeps
        # its settings in a non-executed JSON <script>: nothing inline runs, so script-src 'self' holds.
        return api.docs.render_page(request, api)
    return HttpResponse(_plain_docs_html(), content_type="text/html; charset=utf-8")


def _plain_docs_html() -> str:
    schema = api.get_openapi_schema(path_prefix=reverse("api-v1:api-root"))
    openapi_url = reverse("api-v1:openapi-json")
    rows = []
    for route, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            rows.append((method.upper(), route, op.get("summary", ""), op.get("description", "") or ""))
    table = format_html_join(
        "\n", "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}<br><small>{}</small></td></tr>", rows
    )
    stylesheet = settings.STATIC_URL.rstrip("/") + "/govuk/govuk-frontend.min.css"
    return format_html(
        """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{css}"></head>
<body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{title}</h1>
<p class="govuk-body">{description}</p>
<p class="govuk-body">Machine-readable schema (OpenAPI 3): <a class="govuk-link" href="{openapi}">{openapi}</a>.
Load it into any OpenAPI client or viewer.</p>
<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--m">Operations</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th></tr></thead>
<tbody>
{table}
</tbody></table>
</main></div></body></html>""",
        title=API_TITLE, css=stylesheet, description=api.description, openapi=openapi_url, table=table,
    )
