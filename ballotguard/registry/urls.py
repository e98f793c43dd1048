from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("candidates/", views.candidate_list, name="candidate-list"),
    path("candidates/<int:pk>/", views.candidate_detail, name="candidate-detail"),
    path("candidates/<int:pk>/handles/", views.handle_add, name="handle-add"),
    path("candidates/<int:pk>/handles/<int:handle_id>/remove/", views.handle_remove, name="handle-remove"),
    path("handover/", views.handover_list, name="handover"),
    path("handover/upload/", views.handover_upload, name="handover-upload"),
    path("handover/template.csv", views.handover_template, name="handover-template"),
    path("handover/<int:pk>/", views.handover_candidate, name="handover-candidate"),
    path("imports/", views.imports, name="imports"),
]
