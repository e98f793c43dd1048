from django.urls import path

from . import views

app_name = "survey"

urlpatterns = [
    path("survey/", views.home, name="home"),
    path("survey/<int:candidate_id>/", views.respond, name="respond"),
    path("survey/elections/", views.elections, name="elections"),
    path("survey/elections/<int:election_pk>/", views.closing_date, name="closing-date"),
]
