from django.urls import path

from . import views

app_name = "checkins"

urlpatterns = [
    path("checkins/", views.home, name="home"),
    path("checkins/start/", views.start, name="start"),
    path("checkins/escalated/", views.escalated, name="escalated"),
    path("checkins/escalated/<int:checkin_id>/", views.escalated_detail, name="escalated-detail"),
    path("checkins/<int:checkin_id>/", views.detail, name="detail"),
    path("checkins/<int:checkin_id>/check-out/", views.check_out, name="check-out"),
    path("checkins/<int:checkin_id>/extend/", views.extend, name="extend"),
    path("checkins/<int:checkin_id>/cancel/", views.cancel, name="cancel"),
    path("notify/receipts/", views.notify_receipt, name="notify-receipt"),
]
