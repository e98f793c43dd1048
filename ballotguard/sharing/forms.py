"""Forms for the sharing pages: they collect choices; ``services`` decides what is allowed."""

from __future__ import annotations

from django import forms

from ballotguard.core.forms import GovukForm
from ballotguard.engines.incidents.sharing import MAX_BYTES

from .services import FORMATS, MAX_PARTNER, SCOPES, tlp_choices


class _ExportForm(GovukForm):
    format = forms.ChoiceField(label="Format", choices=list(FORMATS.items()), widget=forms.RadioSelect,
                               error_messages={"required": "Select the format: STIX 2.1 or MISP"})
    tlp = forms.ChoiceField(label="TLP marking", choices=tlp_choices(), widget=forms.RadioSelect,
                            help_text="Traffic Light Protocol 2.0: how far the partner may pass it on. Every object in the file carries it.",
                            error_messages={"required": "Select a TLP marking"})


class IncidentExportForm(_ExportForm):
    scope = forms.ChoiceField(label="What to share", choices=list(SCOPES.items()), widget=forms.RadioSelect,
                              error_messages={"required": "Select what to share: this incident or its course of conduct"})
    identified = forms.BooleanField(
        label="Share identified values (handles, numbers, addresses) instead of pseudonyms", required=False,
        help_text="Only for your own force's incidents, and only where the partner must act on the values themselves. "
                  "Pseudonyms let a partner see that two reports name the same person without learning who.",
    )


class CampaignExportForm(_ExportForm):
    pass


class ImportForm(GovukForm):
    partner = forms.CharField(label="Who sent it", max_length=MAX_PARTNER, help_text="The partner's organisation, like Action Counters Terrorism or a platform's trust and safety team",
                              error_messages={"required": "Enter who sent the bundle, like the partner's organisation",
                                              "max_length": f"Who sent it must be {MAX_PARTNER} characters or fewer"})
    bundle = forms.FileField(label="STIX 2.1 bundle", help_text=f"A JSON file of at most {MAX_BYTES // (1024 * 1024)} MB, from OpenCTI or another STIX 2.1 tool",
                             error_messages={"required": "Choose a STIX 2.1 bundle (JSON) to upload"})
