"""Django admin for the registry. Candidates' encrypted contact details are never shown here:
they are excluded from every list, form and search (administrators have no need to see them).

Police forces, which areas each force covers, candidate-to-user links and delegations decide who may
see police data, so they are read-only here: links and delegations change through access changes
(``accounts.access``, a second person approves), forces and areas through the geography import."""

from django.contrib import admin

from ballotguard.accounts.admin import ReadOnlyAdmin

from .models import Area, AreaForce, Ballot, Candidate, Delegation, Election, Party, PoliceForce


@admin.register(PoliceForce)
class PoliceForceAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "nation", "feoa_email", "feoa_phone")
    list_filter = ("nation",)
    search_fields = ("name", "code")


class AreaForceInline(admin.TabularInline):
    model = AreaForce
    extra = 0
    fields = ("force", "population_share", "is_primary")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "area_type", "parent", "region")
    list_filter = ("area_type",)
    search_fields = ("name", "code", "slug")
    list_select_related = ("parent", "region")
    autocomplete_fields = ("parent", "region")
    inlines = [AreaForceInline]


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ("name", "election_id", "election_type", "date", "operation")
    list_filter = ("operation", "election_type")
    search_fields = ("name", "election_id")
    date_hierarchy = "date"
    autocomplete_fields = ("organisation",)


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):
    list_display = ("post_label", "ballot_paper_id", "election", "area", "council", "seats_contested", "cancelled")
    list_filter = ("cancelled", "election__operation")
    search_fields = ("ballot_paper_id", "post_label")
    list_select_related = ("election", "area", "council")
    autocomplete_fields = ("election", "area", "council")


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "party_id")
    search_fields = ("name", "party_id")


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("name", "party", "ballot", "person_id", "handed_over_at", "consent_to_share")
    list_filter = ("ballot__election__operation", "consent_to_share", "gender")
    search_fields = ("name", "person_id", "ballot__ballot_paper_id")
    list_select_related = ("party", "ballot__election")
    autocomplete_fields = ("ballot", "party")
    # Contact details (email, phone, address, postcode) are deliberately left out: only the returning
    # officer hands them over and only the people who need them can read them, audited.
    fields = ("ballot", "person_id", "name", "party", "gender", "elected", "user", "consent_to_share", "handed_over_at", "handed_over_by")
    # ``user`` (who signs in as this candidate) changes only through an approved access change.
    readonly_fields = ("user", "consent_to_share", "handed_over_at", "handed_over_by")


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("candidate", "staff", "created_at")
    list_select_related = ("candidate", "staff")
    fields = ("candidate", "staff", "created_at")
