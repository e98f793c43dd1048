"""The survey's pages' forms. The answers are checked by ``engines.insights.survey.check_answers`` so that the
page and the API agree; this form only collects them and puts each error on its field, in the
candidate's language."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukForm
from ballotguard.engines.insights import survey as engine


def _choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in labels.items()]  # noqa: INT001 -- labels are marked in the engine


class SurveyForm(GovukForm):
    experiences = forms.MultipleChoiceField(
        label=_("During the campaign, did you experience any of these?"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=_choices(engine.EXPERIENCES), help_text=_("Select all that apply: online and in person. It does not matter whether you reported it."),
    )
    none_experienced = forms.BooleanField(label=_("I experienced none of these"), required=False)
    reported = forms.ChoiceField(label=_("Did you tell anyone about it?"), required=False, widget=forms.RadioSelect,
                                 choices=_choices(engine.YES_NO), help_text=_("Only if you experienced any of them."))
    reported_to = forms.MultipleChoiceField(label=_("Who did you tell?"), required=False, widget=forms.CheckboxSelectMultiple,
                                            choices=_choices(engine.REPORTED_TO), help_text=_("Select all that apply."))
    changes = forms.MultipleChoiceField(
        label=_("Did you change how you campaigned because of harassment, abuse or intimidation, or the fear of it?"), required=False,
        widget=forms.CheckboxSelectMultiple, choices=_choices(engine.CHANGES), help_text=_("Select all that apply, or none."),
    )
    adviser_view = forms.ChoiceField(label=_("How helpful was your police adviser?"), required=False, widget=forms.RadioSelect,
                                     choices=_choices(engine.VIEWS))
    guidance_view = forms.ChoiceField(label=_("How helpful was the safety guidance in Ballotguard?"), required=False,
                                      widget=forms.RadioSelect, choices=_choices(engine.VIEWS))
    comment = forms.CharField(
        label=_("Anything else you want to tell us (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Please do not name anyone. Your comments are read by the Taskforce's analysts only and are never published."),
    )

    def clean(self):
        data = super().clean()
        try:
            self.answers = engine.check_answers(data)
        except engine.AnswersInvalid as exc:
            for name, message in exc.errors.items():
                self.add_error(name, gettext(message))
        return data


class ClosingDateForm(GovukForm):
    closes_on = forms.DateField(
        label=_("Closing date"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day a candidate can respond. Invitations go out the day after polling day; reminders 7 and 2 days before this date."),
        error_messages={"required": _("Enter the closing date"), "invalid": _("Enter a real closing date, like 2026-06-04")},
    )
