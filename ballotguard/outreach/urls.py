from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("outreach/", views.worklist, name="worklist"),
    path("outreach/candidates/<int:candidate_id>/", views.candidate, name="candidate"),
    path("outreach/candidates/<int:candidate_id>/invite/", views.invite_one, name="invite-one"),
    path("outreach/briefings/", views.briefing_list, name="briefings"),
    path("outreach/briefings/new/", views.briefing_create, name="briefing-create"),
    path("outreach/briefings/<int:briefing_id>/", views.briefing_detail, name="briefing"),
    path("outreach/briefings/<int:briefing_id>/invite-council/", views.invite_council, name="invite-council"),
    path("outreach/briefings/<int:briefing_id>/attendance/", views.attendance, name="attendance"),
    path("your-police-adviser/", views.adviser, name="adviser"),
    path("your-police-adviser/invitations/<int:invitation_id>/", views.respond, name="respond"),
]
