from django import forms
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukForm

from .models import Campaign, Message

REVIEW_CHOICES = [
    ("waiting", "Waiting for review"),
    ("confirmed", "Confirmed abusive"),
    ("promoted", "Promoted to an incident"),
    ("dismissed", "Dismissed"),
    ("all", "All flagged"),
]


class QueueFilterForm(GovukForm):
    """GOV.UK select and checkbox (issue 16, point 3: they were the browser's unstyled ones)."""

    review = forms.ChoiceField(label="Show", choices=REVIEW_CHOICES, required=False)
    threats_only = forms.BooleanField(label="Threats and exposed addresses only", required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("dismiss", "Dismiss"), ("confirm", "Confirm abusive"), ("promote", "Promote to an incident")],
                                 error_messages={"required": "Choose what to do with this message", "invalid_choice": "Choose what to do with this message"})
    expected_review = forms.ChoiceField(choices=Message.Review.choices, required=False)


# ---------------------------------------------------------------------------------------------------
# Coordinated campaigns

class CampaignFilterForm(GovukForm):
    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *Campaign.Status.choices], required=False)
    kind = forms.ChoiceField(label="Kind", choices=[("", "Any kind"), *Campaign.Kind.choices], required=False)
    force = forms.ChoiceField(label="Police force", choices=[("", "Any force")], required=False)

    def __init__(self, *args, forces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["force"].choices = [("", "Any force"), *[(f.code, f.name) for f in forces]]


class CampaignDecisionForm(GovukForm):
    decision = forms.ChoiceField(
        label="Are these accounts working together?", widget=forms.RadioSelect,
        choices=[("confirm", "Confirm: these accounts are working together"), ("dismiss", "Dismiss: not a coordinated campaign")],
        error_messages={"required": "Choose whether the accounts are working together", "invalid_choice": "Choose whether the accounts are working together"},
    )
    note = forms.CharField(
        label="Why?", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="Say what you checked. Other analysts and the FEOAs of the forces involved will read this.",
        error_messages={"required": "Say why you confirmed or dismissed this campaign", "max_length": "The note must be 2,000 characters or fewer"},
    )
    expected_status = forms.ChoiceField(choices=Campaign.Status.choices, required=False, widget=forms.HiddenInput)


# ---------------------------------------------------------------------------------------------------
# Mastodon accounts


class MastodonConnectForm(GovukForm):
    candidate_id = forms.TypedChoiceField(label=_("Candidacy"), coerce=int, error_messages={
        "required": _("Choose the candidacy this account belongs to"), "invalid_choice": _("Choose one of your candidacies")})
    instance_url = forms.CharField(label=_("Your Mastodon server"), max_length=200, help_text=_("For example, https://mastodon.social"),
                                   error_messages={"required": _("Enter your Mastodon server's address, like https://mastodon.social")})
    access_token = forms.CharField(label=_("Access token"), max_length=200, widget=forms.PasswordInput(render_value=False),
                                   help_text=_("In Mastodon: Preferences, Development, New application, with the read:notifications scope only; copy 'Your access token'."),
                                   error_messages={"required": _("Enter the access token from your Mastodon account's Development settings")})

    def __init__(self, *args, candidacies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate_id"].choices = [(c.pk, f"{c.name}, {c.ballot.post_label} ({c.ballot.election.name})") for c in candidacies]
