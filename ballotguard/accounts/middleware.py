"""Second factor enforcement: a FEOA, analyst or administrator who has signed in with a password but
not yet with a one-time code can reach nothing but the sign-in steps."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# /language/ too: someone half-way through signing in may need the page in Welsh.
_ALWAYS_ALLOWED_PREFIXES = ("/static/", "/sign-in", "/sign-out", "/favicon.ico", "/language/")


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_mfa
            and not user.is_verified()
            and not request.path.startswith(_ALWAYS_ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Your session needs a second factor: complete sign-in in the browser, or use an API token."},
                    status=401,
                )
            return redirect(reverse("accounts:verify"))
        return self.get_response(request)
