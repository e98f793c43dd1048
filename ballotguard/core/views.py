"""Pages every app shares."""

from django.http import JsonResponse
from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """Django's CSRF refusal, in GOV.UK words. Usually the session timed out while someone was typing
    (a long report on a phone): the browser's Back button brings back what they typed, so say so.
    The API's session check calls this too (ninja turns any answer into its own JSON 403): it gets a
    plain JSON body rather than a page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "CSRF check failed: send the X-CSRFToken header with the value of the csrftoken cookie."}, status=403)
    return render(request, "403_csrf.html", status=403)
