"""The "Start a check-in" form: few fields, big radio targets, usable with one thumb on a phone.

The finishing time is a choice of durations (one tap) or, for "At a time I choose", a time of day
(the phone's own time picker). Validation of the check-in itself is in ``services`` so the page and
the API agree; this form only turns the answers into a ``CheckInInput``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from ballotguard.core.forms import GovukForm

from .services import CheckInInput

DURATIONS = [("60", _("In 1 hour")), ("120", _("In 2 hours")), ("180", _("In 3 hours")), ("240", _("In 4 hours")), ("time", _("At a time I choose"))]


class CheckInForm(GovukForm):
    where = forms.CharField(
        label=_("Where are you going?"),
        help_text=_("For example, the streets you are canvassing or the venue. Only your buddy is told, and only if you do not check out."),
        max_length=500, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": _("Enter where you are going")},
    )
    duration = forms.ChoiceField(
        label=_("When do you expect to finish?"), choices=DURATIONS, widget=forms.RadioSelect,
        error_messages={"required": _("Select when you expect to finish")},
    )
    end_time = forms.TimeField(
        label=_("Time you expect to finish"), required=False, help_text=_("Only if you chose “At a time I choose”. For example, 18:30"),
        widget=forms.TimeInput(attrs={"type": "time", "class": "govuk-input--width-5"}, format="%H:%M"),
        error_messages={"invalid": _("Enter the time you expect to finish, like 18:30")},
    )
    buddy_name = forms.CharField(label=_("Your buddy's name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}),
                                 error_messages={"required": _("Enter your buddy's name")})
    buddy_phone = forms.CharField(label=_("Your buddy's mobile number"), required=False, max_length=32,
                                  help_text=_("They get a text message if you do not check out."),
                                  widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "class": "govuk-input--width-20"}))
    buddy_email = forms.CharField(label=_("Your buddy's email address"), required=False, max_length=254,
                                  widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    candidacy = forms.TypedChoiceField(label=_("Which candidacy is this for?"), coerce=int, required=False, empty_value=None,
                                       widget=forms.RadioSelect, choices=[])
    escalate_to_feoa = forms.BooleanField(
        label=_("If I still have not checked out after my buddy's second alert, alert the police adviser (FEOA) for my area"),
        required=False,
        help_text=_("The police adviser gets your name and a link, and sees where you went only after signing in. Your buddy needs no account: only the adviser signs in."),
    )

    def __init__(self, *args, candidacies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidacies = list(candidacies)
        if self.candidacies:
            self.fields["candidacy"].choices = [
                *[(c.pk, f"{c.name}: {c.ballot.post_label or c.ballot.area.name}") for c in self.candidacies],
                ("", _("Not for a candidacy")),
            ]
            if len(self.candidacies) == 1:
                self.fields["candidacy"].initial = self.candidacies[0].pk
        else:
            del self.fields["candidacy"]

    def clean(self):
        data = super().clean()
        if data.get("duration") == "time" and not data.get("end_time") and "end_time" not in self.errors:
            self.add_error("end_time", _("Enter the time you expect to finish, like 18:30"))
        return data

    def expected_end(self, now: dt.datetime) -> dt.datetime | None:
        choice = self.cleaned_data.get("duration")
        if choice == "time":
            chosen = self.cleaned_data.get("end_time")
            if chosen is None:
                return None
            local = timezone.localtime(now)
            end = timezone.make_aware(dt.datetime.combine(local.date(), chosen.replace(second=0, microsecond=0)))
            return end if end > now else end + dt.timedelta(days=1)  # 00:30 chosen at 23:00 is tomorrow
        return now + dt.timedelta(minutes=int(choice))

    def to_input(self, now: dt.datetime) -> CheckInInput:
        data = self.cleaned_data
        return CheckInInput(
            where=data["where"], expected_end=self.expected_end(now), buddy_name=data["buddy_name"],
            buddy_email=data.get("buddy_email", ""), buddy_phone=data.get("buddy_phone", ""),
            escalate_to_feoa=data.get("escalate_to_feoa", False), candidacy_id=data.get("candidacy"),
        )

    # Service errors name fields by the API's names; map them to this form's.
    FIELD_FOR = {"expected_end": "duration", "minutes": None}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            target = self.FIELD_FOR.get(name, name)
            if target == "duration" and self.cleaned_data.get("duration") == "time":
                target = "end_time"
            self.add_error(target if target in self.fields else None, gettext(message))  # English where the catalogue has none
