"""Django admin for the registry. Candidates' encrypted contact details are never shown here:
they are excluded from every list, form and search (administrators have no need to see them)."""

from django.contrib import admin

from .models import Area, AreaForce, Ballot, Candidate, Delegation, Election, Party, PoliceForce


@admin.register(PoliceForce)
class PoliceForceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "nation", "feoa_email", "feoa_phone")
    list_filter = ("nation",)
    search_fields = ("name", "code")


class AreaForceInline(admin.TabularInline):
    model = AreaForce
    extra = 0
    autocomplete_fields = ("force",)


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
    autocomplete_fields = ("ballot", "party", "user")
    # Contact details (email, phone, address, postcode) are deliberately left out: only the returning
    # officer hands them over and only the people who need them can read them, audited.
    fields = ("ballot", "person_id", "name", "party", "gender", "elected", "user", "consent_to_share", "handed_over_at", "handed_over_by")
    readonly_fields = ("consent_to_share", "handed_over_at", "handed_over_by")


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("candidate", "staff", "created_at")
    autocomplete_fields = ("candidate", "staff")
    list_select_related = ("candidate", "staff")
