from django import forms
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukForm
from ballotguard.engines.candidates.safety_plan import Campaigning, HomeAddress, PlanAnswers, Visibility

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: str, hint: str = "", message: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, help_text=hint, choices=YES_NO, widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


class SafetyPlanForm(GovukForm):
    """The questionnaire. Every question needs an answer; "Not sure" is a real answer for the address."""

    home_address = forms.ChoiceField(
        label=_("Is your home address on the ballot paper?"),
        help_text=_("Candidates can ask for it to be withheld with the home address form when they are nominated."),
        choices=[(HomeAddress.WITHHELD.value, _("No, it is withheld")), (HomeAddress.PUBLISHED.value, _("Yes, it is published")), (HomeAddress.NOT_SURE.value, _("I'm not sure"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether your home address is on the ballot paper"), "invalid_choice": _("Select whether your home address is on the ballot paper")},
    )
    lives_alone = _yes_no(_("Do you live alone?"), message=_("Select yes if you live alone"))
    children_at_home = _yes_no(_("Do children live with you?"), message=_("Select yes if children live with you"))
    public_office = _yes_no(_("Do you have an office or surgery that is open to the public?"), message=_("Select yes if you have an office open to the public"))
    online_visibility = forms.ChoiceField(
        label=_("How visible are you online?"),
        choices=[
            (Visibility.LOW.value, _("Not very: few followers, mostly private accounts")),
            (Visibility.MEDIUM.value, _("Somewhat: public campaign accounts with a local following")),
            (Visibility.HIGH.value, _("Very: large following, national coverage or posts that spread widely")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how visible you are online"), "invalid_choice": _("Select how visible you are online")},
    )
    campaigning = forms.ChoiceField(
        label=_("Do you campaign alone or with others?"),
        help_text=_("For example canvassing, delivering leaflets or street stalls."),
        choices=[
            (Campaigning.ALONE.value, _("Usually alone")),
            (Campaigning.SOMETIMES_ALONE.value, _("Sometimes alone")),
            (Campaigning.NEVER_ALONE.value, _("Always in pairs or groups")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether you campaign alone or with others"), "invalid_choice": _("Select whether you campaign alone or with others")},
    )
    past_incidents = _yes_no(
        _("Have you already experienced harassment, threats or abuse as a candidate or elected official?"),
        message=_("Select yes if you have already experienced harassment, threats or abuse"),
    )

    BOOLEANS = ("lives_alone", "children_at_home", "public_office", "past_incidents")

    def answers(self) -> PlanAnswers:
        data = self.cleaned_data
        return PlanAnswers(
            home_address=HomeAddress(data["home_address"]),
            lives_alone=data["lives_alone"] == "yes",
            children_at_home=data["children_at_home"] == "yes",
            public_office=data["public_office"] == "yes",
            online_visibility=Visibility(data["online_visibility"]),
            campaigning=Campaigning(data["campaigning"]),
            past_incidents=data["past_incidents"] == "yes",
        )

    @classmethod
    def initial_from(cls, answers: PlanAnswers) -> dict:
        initial = {
            "home_address": answers.home_address.value,
            "online_visibility": answers.online_visibility.value,
            "campaigning": answers.campaigning.value,
        }
        for name in cls.BOOLEANS:
            initial[name] = "yes" if getattr(answers, name) else "no"
        return initial


class PledgeForm(GovukForm):
    agree = forms.BooleanField(
        label=_("I agree to the civility pledge"), required=True,
        error_messages={"required": _("Confirm that you agree to the civility pledge")},
    )
    listed = forms.BooleanField(
        label=_("List my name, party and ward or constituency on the public page of signatories"), required=False,
        help_text=_("Only what is already on the ballot paper is shown. You can change this or withdraw at any time."),
    )


class PledgeListingForm(GovukForm):
    listed = forms.BooleanField(label=_("List my name, party and ward or constituency on the public page of signatories"), required=False)
