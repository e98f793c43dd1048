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
    path("account/set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set-password"),
    path("access/", views.access_changes, name="access-changes"),
    path("access/propose/user", views.propose_grant, name="access-propose-grant"),
    path("access/propose/candidate", views.propose_candidate_access, name="access-propose-candidate"),
    path("access/propose/activation", views.propose_activation, name="access-propose-activation"),
    path("access/suspend", views.suspend, name="access-suspend"),
    path("access/<int:pk>/", views.access_change, name="access-change"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include((account_patterns, "accounts"), namespace="accounts")),
]
