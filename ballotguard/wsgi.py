import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ballotguard.settings")
if os.environ.get("BALLOTGUARD_FILE_ONLY") == "1":
    # That mode has a throwaway secret key and no field keys: fine for a file command, never for the service.
    raise ImproperlyConfigured("BALLOTGUARD_FILE_ONLY is set: the web service needs its secrets (see docs/operations.md)")
application = get_wsgi_application()
