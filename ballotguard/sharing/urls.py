from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("sharing/", views.imports, name="imports"),
    path("sharing/import/", views.import_new, name="import"),
    path("sharing/imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("incidents/<str:reference>/share/", views.export_incident, name="export-incident"),
    path("monitoring/campaigns/<int:pk>/share/", views.export_campaign, name="export-campaign"),
]
