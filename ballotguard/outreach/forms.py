from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukDateField, GovukForm
from ballotguard.engines.common import tabular

from .matching import MAX_LINES
from .models import Briefing, ContactAttempt, Topic

ATTENDANCE_MAX_BYTES = 512 * 1024


class WorklistFilterForm(GovukForm):
    council = forms.ChoiceField(label=_("Council"), required=False)
    election = forms.ChoiceField(label=_("Election"), required=False)

    def __init__(self, *args, councils=(), elections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [("", "All councils"), *councils]
        self.fields["election"].choices = [("", "All elections"), *elections]
        self.fields["council"].error_messages["invalid_choice"] = "Select a council from the list"
        self.fields["election"].error_messages["invalid_choice"] = "Select an election from the list"


def _combine(day: dt.date | None, time: dt.time | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, time or dt.time(12, 0)))


class ContactAttemptForm(GovukForm):
    method = forms.ChoiceField(
        label=_("How did you try to contact them?"), choices=ContactAttempt.Method.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Select how you tried to contact the candidate"), "invalid_choice": _("Select how you tried to contact the candidate")},
    )
    outcome = forms.ChoiceField(
        label=_("What happened?"), choices=ContactAttempt.Outcome.choices, widget=forms.RadioSelect,
        help_text=_("Only “Reached the candidate” takes them off your worklist."),
        error_messages={"required": _("Select what happened"), "invalid_choice": _("Select what happened")},
    )
    day = GovukDateField(
        label=_("Date of the attempt"), required=False,
        help_text=_("For example, 27 3 2026. Leave blank if it was just now."), error_messages={"invalid": _("Enter a real date, for example 27 3 2026")},
    )
    time = forms.TimeField(
        label=_("Time (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": _("Enter a time, for example 14:30")},
    )
    next_step = forms.CharField(
        label=_("Next step (optional)"), required=False, max_length=300,
        help_text=_("For example: call back on Tuesday evening; send the briefing invitation."),
        error_messages={"max_length": _("Next step must be 300 characters or fewer")},
    )
    notes = forms.CharField(
        label=_("Notes (optional)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept encrypted. Write only what the candidate is happy for the police to keep."),
        error_messages={"max_length": _("Notes must be 5000 characters or fewer")},
    )

    def clean(self):
        data = super().clean()
        at = _combine(data.get("day"), data.get("time"))
        if data.get("time") and not data.get("day"):
            self.add_error("day", _("Enter the date of the attempt as well as the time"))
        if at is not None and at > timezone.now():
            self.add_error("day", _("The date of the attempt must be today or in the past"))
        data["at"] = at
        return data


class BriefingForm(GovukForm):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={
        "required": _("Enter a title for the briefing"), "max_length": _("Title must be 200 characters or fewer")})
    force = forms.ModelChoiceField(label=_("Police force"), queryset=None, empty_label=None,
                                   error_messages={"required": _("Select a police force"), "invalid_choice": _("Select one of your police forces")})
    kind = forms.ChoiceField(label=_("Who is it for?"), choices=Briefing.Kind.choices, widget=forms.RadioSelect, error_messages={
        "required": _("Select whether the briefing is for a group or one-to-one"), "invalid_choice": _("Select whether the briefing is for a group or one-to-one")})
    format = forms.ChoiceField(label=_("How will it happen?"), choices=Briefing.Format.choices, widget=forms.RadioSelect, error_messages={
        "required": _("Select whether the briefing is in person or online"), "invalid_choice": _("Select whether the briefing is in person or online")})
    day = GovukDateField(label=_("Date"), help_text=_("For example, 27 3 2026"), error_messages={
        "required": _("Enter the date of the briefing"), "invalid": _("Enter a real date"), "incomplete": _("Enter a real date")})
    time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}), error_messages={
        "required": _("Enter the start time of the briefing"), "invalid": _("Enter a time, for example 18:30")})
    location = forms.CharField(
        label=_("Venue or meeting link"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the advisers of the force and the invited candidates see it. It is kept encrypted."),
        error_messages={"max_length": _("Venue or link must be 1000 characters or fewer")},
    )
    topics = forms.MultipleChoiceField(label=_("Topics covered"), required=False, choices=Topic.choices, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"invalid_choice": _("Select topics from the list")})

    def __init__(self, *args, forces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["force"].queryset = forces
        if forces is not None and forces.count() == 1:
            self.fields["force"].initial = forces.first().pk

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = _combine(data["day"], data["time"])
        return data


class InviteCouncilForm(GovukForm):
    council = forms.ChoiceField(label=_("Council"), error_messages={"required": _("Select a council"), "invalid_choice": _("Select a council from the list")})
    election = forms.ChoiceField(label=_("Election"), error_messages={"required": _("Select an election"), "invalid_choice": _("Select an election from the list")})

    def __init__(self, *args, councils=(), elections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [("", "Choose a council"), *councils]
        self.fields["election"].choices = [("", "Choose an election"), *elections]


class InviteOneForm(GovukForm):
    briefing = forms.ModelChoiceField(label=_("Briefing"), queryset=None, empty_label=_("Choose a briefing"),
                                      error_messages={"required": _("Select a briefing"), "invalid_choice": _("Select a briefing from the list")})

    def __init__(self, *args, briefings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["briefing"].queryset = briefings
        self.fields["briefing"].label_from_instance = lambda b: f"{b.title} ({timezone.localtime(b.starts_at):%-d %b %Y %H:%M})"


class AttendanceForm(GovukForm):
    names = forms.CharField(
        label=_("Names or Democracy Club person ids"), required=False, widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=f"One person per line, as on the ballot paper, for example “Carol Cooper”, or their person id, for example 2001. Up to {MAX_LINES} lines.",
    )
    file = forms.FileField(label=_("Or upload a list (optional)"), required=False, help_text=_("A .txt or .csv file with one name or person id per line."))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > ATTENDANCE_MAX_BYTES:
            raise forms.ValidationError(_("The selected file must be smaller than 512 KB"))
        try:
            data = tabular.read_bytes(upload, max_bytes=ATTENDANCE_MAX_BYTES)
            text, _encoding, _warnings = tabular.decode(data, upload.name)
        except tabular.TableError as exc:
            raise forms.ValidationError(_(" ").join(exc.messages)) from None
        return text

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("names") or "").strip() and not (data.get("file") or "").strip():
            self.add_error("names", _("Enter at least one name or Democracy Club person id, one per line, or upload a list"))
        return data

    def text(self) -> str:
        return "\n".join(part for part in (self.cleaned_data.get("names", ""), self.cleaned_data.get("file", "")) if part)
