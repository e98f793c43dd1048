from django.urls import path

from . import views

app_name = "safety"

urlpatterns = [
    path("safety/", views.safety_home, name="home"),
    path("safety/candidates/", views.overview, name="overview"),
    path("guidance/", views.guidance_list, name="guidance"),
    path("guidance/<slug:slug>/", views.guidance_detail, name="guidance-detail"),
    path("guidance/<slug:slug>/read/", views.guidance_read, name="guidance-read"),
    path("candidates/<int:candidate_id>/safety-plan/", views.plan, name="plan"),
    path("candidates/<int:candidate_id>/safety-plan/edit/", views.plan_edit, name="plan-edit"),
    path("candidates/<int:candidate_id>/safety-plan/revisions/<int:revision>/", views.plan, name="plan-revision"),
    path("candidates/<int:candidate_id>/pledge/", views.pledge, name="pledge"),
    path("candidates/<int:candidate_id>/pledge/withdraw/", views.pledge_withdraw, name="pledge-withdraw"),
    path("pledge/", views.pledge_elections, name="pledge-elections"),
    path("pledge/<str:election_id>/", views.pledge_signatories, name="pledge-signatories"),
]
