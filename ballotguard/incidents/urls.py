from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/report/", views.report_new, name="report"),
    path("incidents/access-requests/", views.access_requests, name="access-requests"),
    path("incidents/warning-list/", views.warning_list, name="warning-list"),
    path("incidents/warning-list/<int:warning_id>/retire/", views.warning_retire, name="warning-retire"),
    path("incidents/<str:reference>/", views.incident_detail, name="detail"),
    path("incidents/<str:reference>/edit/", views.report_edit, name="edit"),
    path("incidents/<str:reference>/evidence/", views.evidence_upload, name="evidence"),
    path("incidents/<str:reference>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence-download"),
    path("incidents/<str:reference>/check/", views.check_answers, name="check"),
    path("incidents/<str:reference>/status/", views.change_status, name="status"),
    path("incidents/<str:reference>/assign/", views.assign, name="assign"),
    path("incidents/<str:reference>/notes/", views.add_note, name="note"),
    path("incidents/<str:reference>/risk/", views.override_risk, name="risk"),
    path("incidents/<str:reference>/tasks/<int:task_id>/", views.incident_task, name="task"),
    path("checklists/", views.checklist_templates, name="checklists"),
    path("checklists/<str:behaviour>/", views.checklist_template, name="checklist"),
    path("checklists/<str:behaviour>/edit/", views.checklist_template_edit, name="checklist-edit"),
    path("incidents/<str:reference>/request-access/", views.request_access, name="request-access"),
    path("incidents/<str:reference>/conduct/", views.course_of_conduct, name="conduct"),
    path("incidents/<str:reference>/pack.zip", views.evidence_pack, name="pack"),
    path("incidents/<str:reference>/conduct/pack.zip", views.evidence_pack, {"scope": "conduct"}, name="conduct-pack"),
]
