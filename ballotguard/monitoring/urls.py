from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.review_queue, name="queue"),
    path("monitoring/messages/<int:pk>/", views.message_detail, name="message"),
    path("monitoring/messages/<int:pk>/decision/", views.decide, name="decide"),
    path("monitoring/campaigns/", views.campaign_list, name="campaigns"),
    path("monitoring/campaigns/detect/", views.campaign_detect, name="campaign-detect"),
    path("monitoring/campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("monitoring/campaigns/<int:pk>/decision/", views.campaign_decide, name="campaign-decide"),
    path("monitoring/sources/", views.sources, name="sources"),
    path("monitoring/mastodon/", views.mastodon_accounts, name="mastodon"),
    path("monitoring/mastodon/<int:account_id>/disconnect/", views.mastodon_disconnect, name="mastodon-disconnect"),
    path("monitoring/sources/<str:name>/control/", views.source_control, name="source-control"),
    path("candidates/<int:candidate_id>/abuse-timeline/", views.abuse_timeline, name="timeline"),
]
