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
    path("insights/clocks/", views.clocks, name="clocks"),
    path("insights/clocks/breaches/", views.clock_breaches, name="clock-breaches"),
    path("insights/clocks/targets/", views.clock_targets, name="clock-targets"),
    path("insights/clocks/targets/<str:force>/", views.clock_targets_edit, name="clock-targets-edit"),
    path("insights/records/", views.records, name="records"),
    path("insights/refresh/", views.refresh, name="refresh"),
    path("insights/tables/<slug:name>.csv", views.table_csv, name="table-csv"),
    path("insights/briefing.pdf", briefing_pdf, name="briefing-pdf"),
    path("insights/survey/", views.survey, name="survey"),
    path("insights/survey/tables/<slug:name>.csv", views.survey_csv, name="survey-csv"),
]
