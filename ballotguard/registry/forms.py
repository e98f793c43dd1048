"""Forms for the registry's pages: the candidate filter, the hand-over of contact details, uploads."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy as _

from ballotguard.core.forms import GovukForm
from ballotguard.engines.candidates.contact import validate_contact
from ballotguard.engines.candidates.operations import Operation

from .models import Area, Election, Party

HANDOVER_CSV_MAX_BYTES = 2 * 1024 * 1024
"""A council's nominations fit in a few kilobytes; 2 MiB leaves room without inviting abuse."""

YES_NO = [("yes", "Yes"), ("no", "No")]


class CandidateFilterForm(GovukForm):
    """The GET filter of the candidate list. Options come from the small elections and parties tables,
    never from scanning candidates, so the page stays fast with 100,000 candidates."""

    name = forms.CharField(label=_("Name"), required=False, max_length=200, widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}))
    election = forms.ChoiceField(label=_("Election"), required=False)
    area = forms.CharField(
        label=_("Area"), required=False, max_length=150,
        help_text=_("Constituency, council or ward: name or code, like Birmingham or E08000025 (a council includes its wards)"),
    )
    party = forms.ChoiceField(label=_("Party"), required=False)
    operation = forms.ChoiceField(label=_("Police operation"), required=False, choices=[("", "Any"), *[(o.value, o.label) for o in Operation]])
    handed_over = forms.ChoiceField(
        label=_("Contact details handed over"), required=False, choices=[("", "Any"), ("yes", "Yes"), ("no", "No")],
    )

    def __init__(self, *args, elections=None, **kwargs):
        super().__init__(*args, **kwargs)
        elections = elections if elections is not None else Election.objects.all()
        self.fields["election"].choices = [("", "All elections"), *((e.election_id, f"{e.name} ({e.date:%-d %b %Y})") for e in elections.only("election_id", "name", "date"))]
        self.fields["party"].choices = [("", "All parties"), *Party.objects.order_by("name").values_list("party_id", "name")]

    def clean_area(self) -> str:
        """An area code, resolved from a name when one is typed. Unknown names are an error, not an empty list."""
        value = " ".join(self.cleaned_data["area"].split())
        if not value:
            return ""
        if Area.objects.filter(code__iexact=value).exists():
            return value.upper()
        matches = list(Area.objects.filter(name__iexact=value, area_type__in=["constituency", "council", "ward"]).values_list("code", flat=True)[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise forms.ValidationError(_("More than one area has that name: enter its code instead, like E08000025"))
        raise forms.ValidationError(_("Enter the name or code of a constituency, council or ward"))


class HandoverForm(GovukForm):
    email = forms.CharField(label=_("Email address"), required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    phone = forms.CharField(label=_("Telephone number"), required=False, max_length=40, help_text=_("For example, 07700 900 982 or +44 808 157 0192"),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "class": "govuk-input--width-20"}))
    address = forms.CharField(label=_("Address"), required=False, max_length=600, widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}))
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=10, widget=forms.TextInput(attrs={"autocomplete": "off", "class": "govuk-input--width-10"}))
    consent = forms.ChoiceField(
        label=_("Has the candidate agreed to share these details with their police adviser?"),
        choices=YES_NO, widget=forms.RadioSelect,
        help_text=_("If they have not agreed, no contact details are kept and any kept before are deleted"),
        error_messages={"required": _("Select yes if the candidate has agreed to share these details")},
    )

    def clean(self):
        data = super().clean()
        details, errors = validate_contact(
            email=data.get("email", ""), phone=data.get("phone", ""), address=data.get("address", ""), postcode=data.get("postcode", ""),
        )
        for err in errors:
            self.add_error(err.field, gettext(err.message))  # engine messages are English catalogue messages
        if data.get("consent") == "yes" and details.is_empty() and not errors:
            self.add_error("email", _("Enter at least one contact detail, or select no if the candidate has not agreed"))
        self.details = details
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _check_csv_upload(upload, max_bytes: int):
    if upload is None:
        return upload
    if upload.size > max_bytes:
        raise forms.ValidationError(_("The selected file must be smaller than %(size)s") % {"size": f"{max_bytes // (1024 * 1024)} MB"})
    if not upload.name.lower().endswith((".csv", ".txt")):
        raise forms.ValidationError(_("The selected file must be a CSV file"))
    return upload


class HandoverUploadForm(GovukForm):
    file = forms.FileField(
        label=_("Upload a CSV file"), help_text=_("Columns: ballot_paper_id, person_id, email, phone, address, postcode, consent (yes or no). Maximum 2 MB."),
        error_messages={"required": _("Select a CSV file"), "empty": _("The selected file is empty")},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        return _check_csv_upload(self.cleaned_data.get("file"), HANDOVER_CSV_MAX_BYTES)


class CandidateImportForm(GovukForm):
    candidates_file = forms.FileField(
        label=_("Candidates CSV"), help_text=_("Democracy Club candidates export"),
        error_messages={"required": _("Select a candidates CSV file"), "empty": _("The selected file is empty")},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    gender_file = forms.FileField(
        label=_("Gender CSV (optional)"), required=False, help_text=_("A file giving candidates' gender, matched by person id"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(label=_("Dry run: check the file and report, but save nothing"), required=False, initial=True)
    allow_unknown_columns = forms.BooleanField(
        label=_("Ignore columns this import does not know"), required=False,
        help_text=_("Otherwise a file with columns that are not Democracy Club fields is refused. Ignored columns are listed in the report."),
    )

    def clean_candidates_file(self):
        return _check_csv_upload(self.cleaned_data.get("candidates_file"), settings.BALLOTGUARD_MAX_IMPORT_BYTES)

    def clean_gender_file(self):
        return _check_csv_upload(self.cleaned_data.get("gender_file"), settings.BALLOTGUARD_MAX_IMPORT_BYTES)


class GeographyImportForm(GovukForm):
    geography_files = MultipleFileField(
        label=_("Geography files"), help_text=_("Select every file at once: police force areas, constituencies, councils, wards and their lookups"),
        error_messages={"required": _("Select at least one geography file"), "empty": _("A selected file is empty")},
    )
    geography_dry_run = forms.BooleanField(label=_("Dry run: check the files and report, but save nothing"), required=False, initial=True)

    def clean_geography_files(self):
        files = self.cleaned_data.get("geography_files") or []
        total = sum(f.size for f in files)
        if total > settings.BALLOTGUARD_MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"The selected files must be smaller than {settings.BALLOTGUARD_MAX_IMPORT_BYTES // (1024 * 1024)} MB in total")
        return files


class SocialHandleForm(GovukForm):
    platform = forms.ChoiceField(label=_("Platform"), choices=[])
    handle = forms.CharField(label=_("Account name"), max_length=100, help_text=_("Like @jo_smith or the profile's address"),
                             error_messages={"required": _("Enter the account name")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ballotguard.engines.messages.records import Platform

        self.fields["platform"].choices = [("", _("Choose a platform"))] + [(p.value, _(p.label)) for p in Platform]
        self.fields["platform"].error_messages = {"required": "Choose the platform", "invalid_choice": "Choose the platform from the list"}

    def clean_handle(self):
        from ballotguard.engines.messages.records import normalise_handle

        handle = normalise_handle(self.cleaned_data["handle"])
        if not handle or any(c.isspace() for c in handle):
            raise forms.ValidationError(_("Enter the account name without spaces, like @jo_smith"))
        return handle
