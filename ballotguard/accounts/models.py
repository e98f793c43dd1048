"""Users, their roles and scope, API tokens, and the audit log."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    CANDIDATE = "candidate", "Candidate or elected official"
    STAFF = "staff", "Candidate's staff or agent"
    RETURNING_OFFICER = "returning_officer", "Returning officer"
    FEOA = "feoa", "Force Elected-Official Adviser (police)"
    ANALYST = "analyst", "Taskforce analyst"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A person who signs in. What they may see follows from ``role`` and its scope fields.

    - FEOA: ``police_forces`` (usually one; some advisers cover two forces).
    - Returning officer: ``council`` (the local authority whose elections they run).
    - Candidate: the candidacies whose ``user`` is this user.
    - Staff: the candidacies delegated to them (``registry.Delegation``).
    """

    role = models.CharField(max_length=20, choices=Role.choices)
    police_forces = models.ManyToManyField("registry.PoliceForce", blank=True, related_name="advisers")
    council = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="returning_officers",
        limit_choices_to={"area_type": "council"},
    )
    phone = models.CharField(max_length=32, blank=True, help_text="Work phone shown to candidates (FEOAs).")
    is_force_lead = models.BooleanField(
        default=False, help_text="A lead FEOA approves changes to who may see their forces' data (accounts.access).",
    )

    class Meta:
        ordering = ["username"]

    @property
    def needs_mfa(self) -> bool:
        from django.conf import settings

        return self.role in settings.BALLOTGUARD_MFA_ROLES or self.is_superuser

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for API clients. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="Every token expires (BALLOTGUARD_TOKEN_MAX_DAYS at most).")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, expires_at=None) -> tuple["ApiToken", str]:
        """Create a token; the secret is returned once and never stored. Every token expires: after
        ``BALLOTGUARD_TOKEN_DEFAULT_DAYS`` unless sooner, never later than ``BALLOTGUARD_TOKEN_MAX_DAYS``."""
        from datetime import timedelta

        from django.conf import settings

        now = timezone.now()
        latest = now + timedelta(days=settings.BALLOTGUARD_TOKEN_MAX_DAYS)
        expires_at = min(expires_at or now + timedelta(days=settings.BALLOTGUARD_TOKEN_DEFAULT_DAYS), latest)
        secret = "bg_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=secret[:10], digest=cls.digest_of(secret), expires_at=expires_at
        )
        return token, secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AuditEvent(models.Model):
    """One read or change of personal data, or a security event. Never holds the data itself."""

    class Action(models.TextChoices):
        READ = "read", "Read"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        MFA = "mfa", "Second factor"
        TOKEN = "token", "API token"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=50, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    fields = models.JSONField(default=list, blank=True, help_text="Names of the personal fields read or changed.")
    detail = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True, help_text="web, api or cli")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"


class AccessChange(models.Model):
    """A proposed change to who may see police data: separation of duties (docs/security.md).

    One administrator proposes; a second person approves (``accounts.access`` decides who), and only
    then is the change applied. Django admin cannot make these changes: it is read-only for users,
    forces, candidate links and delegations. The fields hold ids and names needed to apply the change,
    never incident content or contact details.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", "Create a user, or change a user's role and scope"
        LINK_CANDIDATE = "link_candidate", "Link a candidate record to a user"
        UNLINK_CANDIDATE = "unlink_candidate", "Unlink a candidate record from its user"
        DELEGATE = "delegate", "Delegate a candidacy to a member of staff or agent"
        END_DELEGATION = "end_delegation", "End a delegation"
        DEACTIVATE = "deactivate", "Deactivate a user (they can no longer sign in or use the API)"
        REACTIVATE = "reactivate", "Reactivate a user"
        # Applied at once by one person (accounts.access.suspend): removing access opens nothing.
        SUSPEND = "suspend", "Suspend a user at once (signed out, API tokens revoked)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    # The user the change is about; empty until approval when the change creates a new user.
    target_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="access_changes")
    username = models.CharField(max_length=150, help_text="The user's username (new or existing).")
    email = models.EmailField(blank=True, help_text="Where a new user's invitation to set a password is sent.")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    forces = models.ManyToManyField("registry.PoliceForce", blank=True, related_name="+", help_text="The FEOA's forces after the change.")
    council = models.ForeignKey("registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_force_lead = models.BooleanField(default=False)
    candidate = models.ForeignKey("registry.Candidate", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Forces whose data the change opens or closes: they are told, and their lead FEOA approves.
    affected_forces = models.ManyToManyField("registry.PoliceForce", blank=True, related_name="access_changes")
    reason = models.CharField(max_length=300)
    proposed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    @property
    def reference(self) -> str:
        return f"AC-{self.pk}"

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()} ({self.get_status_display()})"


class AccessApproval(models.Model):
    """One approval of an access change. ``force`` is the force whose lead approved; empty when the
    approval is an administrator's. A change needs one approval per force with a lead, or else one
    administrator's."""

    change = models.ForeignKey(AccessChange, on_delete=models.CASCADE, related_name="approvals")
    force = models.ForeignKey("registry.PoliceForce", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    approved_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "force"], name="one_approval_per_force")]
