from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from ballotguard.api import api, api_docs

admin.site.site_header = "Ballotguard administration"

urlpatterns = [
    path("", include("ballotguard.accounts.urls")),
    path("", include("ballotguard.registry.urls")),
    path("", include("ballotguard.incidents.urls")),
    path("", include("ballotguard.monitoring.urls")),
    path("", include("ballotguard.safety.urls")),
    path("", include("ballotguard.checkins.urls")),
    path("", include("ballotguard.outreach.urls")),
    path("", include("ballotguard.insights.urls")),
    path("", include("ballotguard.sharing.urls")),
    path("", include("ballotguard.survey.urls")),
    # The English | Cymraeg toggle posts here (with CSRF) and comes back to the same page.
    path("language/", set_language, name="set-language"),
    path("api/docs", api_docs, name="api-docs"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
