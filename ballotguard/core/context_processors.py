"""Values every page template needs."""

from django.conf import settings


def page_assets(request):
    # The import map's text must be exactly the one whose hash the CSP allows (see settings.IMPORT_MAP).
    return {"import_map": settings.IMPORT_MAP}
