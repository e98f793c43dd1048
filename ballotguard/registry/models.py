"""Elections, ballots, areas, police forces and candidates.

Areas carry ONS/GSS codes (E14001172, E06000001, E05013038); elections and ballots carry Democracy
Club identifiers (``parl.2024-07-04``, ``parl.birmingham-yardley.2024-07-04``). Which police forces
see a candidate follows from the ballot's area and the ``AreaForce`` links, so a constituency that
spans two forces is visible to both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.fields import DataKeyField, EncryptedTextField
from ballotguard.core.matching import match_key
from ballotguard.engines.candidates.contact import ContactError
from ballotguard.engines.abuse.exposure import contact_fingerprints
from ballotguard.engines.messages.records import Platform
from ballotguard.engines.candidates.operations import Operation


class PoliceForce(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="ONS police force area code, e.g. E23000001.")
    name = models.CharField(max_length=100)
    nation = models.CharField(max_length=20)
    feoa_email = models.EmailField(blank=True, help_text="The force's elected-official adviser mailbox.")
    feoa_phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    class Type(models.TextChoices):
        NATION = "nation", _("Nation")
        REGION = "region", _("Region")
        CONSTITUENCY = "constituency", _("Westminster constituency")
        COUNCIL = "council", _("Council (local authority)")
        WARD = "ward", _("Ward or division")
        CSP = "csp", _("Community safety partnership")

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=150, db_index=True)
    name_welsh = models.CharField(max_length=150, blank=True)
    slug = models.SlugField(max_length=150, db_index=True, help_text="Democracy Club style slug of the name.")
    area_type = models.CharField(max_length=20, choices=Type.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="Ward → council; council → community safety partnership is kept in AreaForce.",
    )
    region = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="region_members",
        limit_choices_to={"area_type": "region"},
    )
    population = models.FloatField(null=True, blank=True)
    hex_q = models.IntegerField(null=True, blank=True, help_text="Column in the constituency hex map.")
    hex_r = models.IntegerField(null=True, blank=True)
    forces = models.ManyToManyField(PoliceForce, through="AreaForce", related_name="areas")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["area_type", "slug"])]

    def __str__(self) -> str:
        return self.name


class AreaForce(models.Model):
    """A police force covers (part of) an area. Every area has exactly one primary force."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="force_links")
    force = models.ForeignKey(PoliceForce, on_delete=models.PROTECT, related_name="area_links")
    population_share = models.FloatField(help_text="Share of the area's population policed by this force, 0–1.")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "force"], name="unique_area_force")]
        indexes = [models.Index(fields=["force", "area"])]
        ordering = ["-is_primary", "-population_share"]


class Election(models.Model):
    """A Democracy Club election (``parl.2024-07-04``, ``local.birmingham.2025-05-01``)."""

    election_id = models.CharField(max_length=200, unique=True)
    election_type = models.CharField(max_length=20, db_index=True)
    date = models.DateField(db_index=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    operation = models.CharField(max_length=10, choices=[(o.value, o.label) for o in Operation], db_index=True)
    nominations_close = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "election_id"]

    def __str__(self) -> str:
        return self.name


class Ballot(models.Model):
    """One contest in one area (a constituency, a ward): ``parl.birmingham-yardley.2024-07-04``."""

    ballot_paper_id = models.CharField(max_length=250, unique=True)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="ballots")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="ballots")
    council = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="administered_ballots",
        help_text="The council whose returning officer runs this ballot.",
    )
    post_label = models.CharField(max_length=200)
    seats_contested = models.PositiveSmallIntegerField(default=1)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["post_label"]

    def __str__(self) -> str:
        return f"{self.post_label} ({self.election.date:%d %B %Y})"


class Party(models.Model):
    party_id = models.CharField(max_length=40, unique=True, help_text="Electoral Commission id (PP53) or DC id.")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    """One person standing on one ballot. Contact details are encrypted and only present once handed over."""

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        NON_BINARY = "non_binary", _("Non-binary")
        UNKNOWN = "", _("Not known")

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="candidates")
    person_id = models.CharField(max_length=40, db_index=True, help_text="Democracy Club person id.")
    name = models.CharField(max_length=200, db_index=True)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="candidates")
    gender = models.CharField(max_length=12, choices=Gender.choices, blank=True, db_index=True)
    elected = models.BooleanField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidacies"
    )

    # Contact details handed over by the returning officer, with the candidate's consent.
    # Sealed under the candidate's own data key, so retention can erase them in every backup too.
    email = EncryptedTextField(blank=True, erasable_by="data_key")
    phone = EncryptedTextField(blank=True, erasable_by="data_key")
    address = EncryptedTextField(blank=True, erasable_by="data_key")
    postcode = EncryptedTextField(blank=True, erasable_by="data_key")
    data_key = DataKeyField(help_text="Id of the data key the contact details are sealed under (ballotguard.core.erasure).")
    contact_erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention erased the contact details (not elected, election long past)."
    )
    consent_to_share = models.BooleanField(default=False)
    handed_over_at = models.DateTimeField(null=True, blank=True, db_index=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Keyed hashes of the normalised postcode, address and phone number, so monitoring can spot a
    # message exposing them without decrypting the details (ballotguard.engines.abuse.exposure).
    exposure_fingerprints = models.JSONField(default=list, blank=True, editable=False)

    PERSONAL_FIELDS = ("email", "phone", "address", "postcode")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["ballot", "person_id"], name="unique_candidate_per_ballot")]

    def __str__(self) -> str:
        return self.name

    @property
    def operation(self) -> str:
        return self.ballot.election.operation

    @property
    def handed_over(self) -> bool:
        return self.handed_over_at is not None

    def save(self, *args, **kwargs):
        # Whatever path writes the contact details (hand-over, the candidate's own page, the demo,
        # rotate-keys), the fingerprints follow them; a save of other fields leaves them alone.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.PERSONAL_FIELDS):
            self.exposure_fingerprints = contact_fingerprint_list(self.postcode, self.address, self.phone)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "exposure_fingerprints"}
        super().save(*args, **kwargs)


def contact_fingerprint_list(postcode: str, address: str, phone: str) -> list[str]:
    """Keyed hashes of each detail that can be read; one that cannot (a postcode stored before
    validation existed, say) is skipped rather than stopping the save."""
    key = match_key()
    out: set[str] = set()
    for field, value in (("postcode", postcode), ("address", address), ("phone", phone)):
        if value:
            try:
                out |= contact_fingerprints(key, **{field: value})
            except ContactError:
                continue
    return sorted(out)


class SocialHandle(models.Model):
    """A candidate's account on a platform: messages mentioning or replying to it are routed to them."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="handles")
    platform = models.CharField(max_length=20, choices=[(p.value, p.label) for p in Platform])
    handle = models.CharField(max_length=100, help_text="Case-folded, without the @.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [models.UniqueConstraint(fields=["candidate", "platform", "handle"], name="unique_handle_per_candidate")]
        indexes = [models.Index(fields=["platform", "handle"])]

    def __str__(self) -> str:
        return f"{self.platform}:@{self.handle}"


class Delegation(models.Model):
    """A candidate lets a member of staff or an agent act for them."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="delegations")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidate", "staff"], name="unique_delegation")]


class ConstituencyCouncilOverlap(models.Model):
    """How much of a constituency's population lives in each council (mySociety's overlap file).

    Kept so that importing candidates can name the council that (most likely) runs a parliamentary
    ballot without reading the geography files again. ``council`` is empty for Scottish and Northern
    Irish councils, which the ONS England and Wales lookups do not name; ``council_code`` keeps them.
    """

    constituency = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="council_overlaps")
    council_code = models.CharField(max_length=12)
    council = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="constituency_overlaps")
    population = models.FloatField(help_text="Estimated population living in both the constituency and the council.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["constituency", "council_code"], name="unique_constituency_council_overlap")
        ]
        ordering = ["constituency", "-population"]


class SyncCursor(models.Model):
    """Where ``sync-democracy-club`` got to in each source: the newest ``last_updated`` / ``modified``
    it has applied, so the next run asks only for what changed since."""

    name = models.CharField(max_length=40, unique=True)
    cursor = models.CharField(max_length=40, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.cursor}"


class ImportJob(models.Model):
    """A candidate import run by the task worker, so a large file (100,000 rows) is not cut off by the
    web worker's timeout. The uploaded bytes are kept only until the run ends; ``done``/``total`` is
    the progress the imports page and ``GET /api/v1/imports/jobs/{id}`` show. A job whose worker died
    is marked failed when either is read (``services.fail_dead_import_jobs``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, default="candidates")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    filename = models.CharField(max_length=255)
    dry_run = models.BooleanField(default=False)
    allow_unknown_columns = models.BooleanField(default=False, help_text="Ignore columns that are not Democracy Club fields (with a warning).")
    data = models.BinaryField(blank=True, help_text="The upload, blanked when the run ends.")
    gender_data = models.BinaryField(blank=True, null=True)
    stage = models.CharField(max_length=100, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="When the worker last reported progress: a running job silent "
                                        "for BALLOTGUARD_JOB_STALE_AFTER seconds is taken to have died (services.fail_dead_import_jobs).")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
