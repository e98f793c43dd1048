"""Candidates connect their Mastodon accounts so their mentions are monitored; and disconnect them.

Only the candidate or their staff may connect or disconnect an account of a candidacy they can
open. Connecting checks the token with the instance (``verify_credentials``) before anything is
stored, records the account as the candidacy's Mastodon handle (so mentions route to them), and
keeps the token encrypted. Disconnecting blanks the token at once and is audited; the connector
notices within seconds. The token is never shown again, logged or returned.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ballotguard.accounts.models import AuditEvent, Role
from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.messages.records import Platform
from ballotguard.registry.models import Candidate, SocialHandle
from ballotguard.registry.services import NotPermitted, candidates_visible_to

from ..models import MastodonAccount

CONNECTORS = (Role.CANDIDATE, Role.STAFF)


class ConnectInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _candidacies(user):
    if not user.is_authenticated or user.role not in CONNECTORS:
        raise NotPermitted("Only a candidate or their staff can connect the candidate's Mastodon account.")
    return candidates_visible_to(user)


def accounts_for(user):
    return MastodonAccount.objects.filter(candidate__in=_candidacies(user)).select_related("candidate__ballot__election")


def candidacies_for(user):
    return _candidacies(user).order_by("-ballot__election__date", "name")


def connect(actor: Actor, candidate_id: int, instance_url: str, access_token: str, *, client_factory=None) -> MastodonAccount:
    from mastodon.errors import MastodonError

    from ..connectors.mastodon import client_for, handle_of

    candidate = _candidacies(actor.user).filter(pk=candidate_id).first()
    errors = {}
    if candidate is None:
        errors["candidate_id"] = gettext("Choose one of your candidacies")
    url = instance_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        errors["instance_url"] = gettext("Enter your Mastodon server's address, like https://mastodon.social")
    token = access_token.strip()
    if not token or len(token) > 200:
        errors["access_token"] = gettext("Enter the access token from your Mastodon account's Development settings")
    if errors:
        raise ConnectInvalid(errors)
    probe = MastodonAccount(candidate=candidate, instance_url=url, access_token=token)
    try:
        me = (client_factory or client_for)(probe).account_verify_credentials()
    except (MastodonError, OSError, ValueError):
        raise ConnectInvalid({"access_token": gettext("Your Mastodon server did not accept this access token: check it and the server's address")}) from None
    acct = handle_of(str(me["acct"]), url)
    with transaction.atomic():
        account, _ = MastodonAccount.objects.update_or_create(
            candidate=candidate, acct=acct, revoked_at=None,
            defaults={"instance_url": url, "access_token": token, "connected_by": actor.user, "last_error": ""})
        SocialHandle.objects.get_or_create(candidate=candidate, platform=Platform.MASTODON.value, handle=acct)
        audit(actor, AuditEvent.Action.CREATE, "mastodon_account", account.pk, detail="connected")
    return account


def disconnect(actor: Actor, account_id: int) -> MastodonAccount:
    account = accounts_for(actor.user).get(pk=account_id)  # DoesNotExist outside scope
    if account.revoked_at is None:
        account.revoked_at, account.access_token = timezone.now(), ""
        account.save(update_fields=["revoked_at", "access_token"])
        audit(actor, AuditEvent.Action.DELETE, "mastodon_account", account.pk, detail="disconnected; token erased")
    return account


__all__ = ["ConnectInvalid", "accounts_for", "candidacies_for", "connect", "disconnect"]
