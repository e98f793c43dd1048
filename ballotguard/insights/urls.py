from django.urls import path

from . import views
from .briefing_views import briefing_pdf

app_name = "insights"

urlpatterns = [
    path("insights/", views.overview, name="overview"),
    path("insights/trends/", views.trends, name="trends"),
    path("insights/disparities/", views.disparities, name="disparities"),
    path("insights/coverage/", views.coverage, name="coverage"),
    path("insights/map/", views.area_map, name="map"),
    path("insights/records/", views.records, name="records"),
    path("insights/refresh/", views.refresh, name="refresh"),
    path("insights/tables/<slug:name>.csv", views.table_csv, name="table-csv"),
    path("insights/briefing.pdf", briefing_pdf, name="briefing-pdf"),
    path("insights/survey/", views.survey, name="survey"),
    path("insights/survey/tables/<slug:name>.csv", views.survey_csv, name="survey-csv"),
]
