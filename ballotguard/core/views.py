"""Pages every app shares."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """Django's CSRF refusal, in GOV.UK words. Usually the session timed out while someone was typing
    (a long report on a phone): the browser's Back button brings back what they typed, so say so."""
    return render(request, "403_csrf.html", status=403)
