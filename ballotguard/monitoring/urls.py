from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.review_queue, name="queue"),
    path("monitoring/messages/<int:pk>/", views.message_detail, name="message"),
    path("monitoring/messages/<int:pk>/decision/", views.decide, name="decide"),
    path("candidates/<int:candidate_id>/abuse-timeline/", views.abuse_timeline, name="timeline"),
]
