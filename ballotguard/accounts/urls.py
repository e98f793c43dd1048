"""Account pages. ``home`` is deliberately outside the ``accounts`` namespace: it is the site root."""

from django.urls import include, path

from . import views

account_patterns = [
    path("sign-in", views.sign_in, name="sign-in"),
    path("sign-in/verify", views.verify, name="verify"),
    path("sign-out", views.sign_out, name="sign-out"),
    path("audit/", views.audit_log, name="audit-log"),
    path("account/api-tokens/", views.tokens, name="tokens"),
    path("account/api-tokens/<int:pk>/revoke", views.revoke_token, name="token-revoke"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include((account_patterns, "accounts"), namespace="accounts")),
]
