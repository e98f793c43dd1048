"""Forms for the incident pages. They collect what was typed; ``services`` decides what is valid, so
the page, the API and the CLI refuse exactly the same things with the same words."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukForm
from ballotguard.engines.incidents.checklists import MAX_GUIDANCE, MAX_REASON, MAX_TASKS, MAX_TITLE, TaskInput, TaskState
from ballotguard.engines.incidents.evidence_types import ALLOWED_DESCRIPTION
from ballotguard.engines.incidents.facts import Behaviour, IssueTag, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.risk import RiskLevel

from .models import Incident
from .services import ReportInput

OBSERVABLE_FIELDS = {
    ObservableKind.HANDLE: ("obs_handle", _("Social media accounts"), _("One per line, like @name or a link to the profile")),
    ObservableKind.PHONE: ("obs_phone", _("Phone numbers"), _("One per line, like 07700 900 982")),
    ObservableKind.EMAIL: ("obs_email", _("Email addresses"), _("One per line")),
    ObservableKind.VEHICLE: ("obs_vehicle", _("Vehicle registrations"), _("One per line, like AB12 CDE")),
    ObservableKind.URL: ("obs_url", _("Web addresses"), _("Links to posts, pages or videos, one per line")),
    ObservableKind.NAME: ("obs_name", _("Names"), _("Names the person used or that you know, one per line")),
    ObservableKind.DESCRIPTION: ("obs_description", _("Descriptions"), _("What they looked like, wore, or carried; one per line")),
}


def _lines() -> forms.CharField:
    return forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}))


class ReportForm(GovukForm):
    """Everything about one incident, on one page that works on a phone. Nothing here is required
    to save a draft; ``services`` says what is needed to send it."""

    candidate = forms.TypedChoiceField(label=_("Who did this happen to?"), coerce=int, required=False)
    day = forms.CharField(label=_("Day"), required=False, max_length=2, widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}))
    month = forms.CharField(label=_("Month"), required=False, max_length=2, widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-2"}))
    year = forms.CharField(label=_("Year"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}))
    time = forms.CharField(
        label=_("Time (if you know it)"), required=False, max_length=5, help_text=_("For example, 21:30"),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )
    place = forms.ChoiceField(label=_("Where did it happen?"), required=False, widget=forms.RadioSelect, choices=[(p.value, _(p.label)) for p in Place])
    platform = forms.CharField(label=_("Which platform or service? (if online)"), required=False, max_length=50,
                               help_text=_("For example, X, Facebook, Instagram, TikTok, WhatsApp, email"))
    area = forms.CharField(label=_("Area (if it happened outside your own)"), required=False, max_length=150,
                           help_text=_("The constituency, council or ward, like Birmingham Yardley"))
    behaviours = forms.MultipleChoiceField(label=_("What happened?"), required=False, widget=forms.CheckboxSelectMultiple,
                                           choices=[(b.value, _(b.label)) for b in Behaviour], help_text=_("Select all that apply"))
    characteristics = forms.MultipleChoiceField(label=_("What was the hostility about?"), required=False, widget=forms.CheckboxSelectMultiple,
                                                choices=[(c.value, _(c.label)) for c in ProtectedCharacteristic],
                                                help_text=_("Only if you ticked hostility because of who you are"))
    issue_tags = forms.MultipleChoiceField(label=_("Did it seem to be about a political issue? (optional)"), required=False,
                                           widget=forms.CheckboxSelectMultiple, choices=[(t.value, _(t.label)) for t in IssueTag],
                                           help_text=_("This helps the police see whether intimidation clusters around particular issues"))
    in_danger_now = forms.BooleanField(label=_("I am in danger now, or the person is still nearby"), required=False)
    weapon_mentioned = forms.BooleanField(label=_("A weapon was seen, mentioned or threatened"), required=False)
    home_address_known = forms.BooleanField(label=_("They seem to know my home address"), required=False)
    perpetrator_known = forms.BooleanField(label=_("I know, or could identify, who did it"), required=False)
    description = forms.CharField(label=_("Describe what happened"), required=False, max_length=12000,
                                  help_text=_("In your own words: what was said or done, and anything that made it worse"),
                                  widget=forms.Textarea(attrs={"rows": 6}))
    perpetrator = forms.CharField(label=_("What do you know about who did it?"), required=False, max_length=6000,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = list(candidates or [])
        self.candidate_choices = candidates
        self.fields["candidate"].choices = [("", "Select")] + [(c.pk, f"{c.name}, {c.ballot.area.name} ({c.ballot.election.name})") for c in candidates]
        if len(candidates) == 1:
            self.fields["candidate"].initial = candidates[0].pk
        for kind, (name, label, hint) in OBSERVABLE_FIELDS.items():
            field = _lines()
            field.label, field.help_text = label, hint
            self.fields[name] = field

    @property
    def date_fields(self):
        return [self["day"], self["month"], self["year"]]

    @property
    def observable_fields(self):
        return [self[name] for name, _, _ in OBSERVABLE_FIELDS.values()]

    def to_input(self) -> ReportInput:
        """What was typed, as a :class:`ReportInput`. A date that is not a real date is a form error."""
        data = self.cleaned_data
        occurred_at = None
        parts = [data.get("day", "").strip(), data.get("month", "").strip(), data.get("year", "").strip()]
        time_text = data.get("time", "").strip()
        if any(parts) or time_text:
            try:
                day, month, year = (int(p) for p in parts)
                hour, minute = (int(x) for x in time_text.replace(".", ":").split(":")) if time_text else (12, 0)
                occurred_at = timezone.make_aware(dt.datetime(year, month, day, hour, minute))
            except (ValueError, TypeError):
                self.add_error("day", _("Date it happened must be a real date and time, like 27 3 2025 and 21:30"))
        candidate = data.get("candidate")
        if candidate in ("", None) and len(self.candidate_choices) == 1:
            candidate = self.candidate_choices[0].pk
        return ReportInput(
            candidate_id=candidate if candidate not in ("", None) else None,
            occurred_at=occurred_at,
            place=data.get("place") or "",
            area_code=data.get("area", "").strip(),
            platform=data.get("platform", ""),
            behaviours=list(data.get("behaviours") or []),
            characteristics=list(data.get("characteristics") or []),
            issue_tags=list(data.get("issue_tags") or []),
            in_danger_now=bool(data.get("in_danger_now")),
            weapon_mentioned=bool(data.get("weapon_mentioned")),
            home_address_known=bool(data.get("home_address_known")),
            perpetrator_known=bool(data.get("perpetrator_known")),
            description=data.get("description", ""),
            perpetrator=data.get("perpetrator", ""),
            observables={kind.value: data.get(name, "") for kind, (name, _, _) in OBSERVABLE_FIELDS.items() if data.get(name, "").strip()},
        )

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """Put the service's field errors on the matching form fields."""
        names = {"occurred_at": "day", "area": "area", "candidate": "candidate"}
        names.update({f"observables.{kind.value}": name for kind, (name, _, _) in OBSERVABLE_FIELDS.items()})
        for key, message in errors.items():
            name = names.get(key, key)
            self.add_error(name if name in self.fields else None, message)

    @classmethod
    def initial_from(cls, incident: Incident, observables: dict[str, str]) -> dict:
        initial = {
            "candidate": incident.candidate_id, "place": incident.place, "platform": incident.platform,
            "area": incident.area.code if incident.area and incident.area_id != incident.candidate.ballot.area_id else "",
            "behaviours": incident.behaviours, "characteristics": incident.characteristics, "issue_tags": incident.issue_tags,
            "in_danger_now": incident.in_danger_now, "weapon_mentioned": incident.weapon_mentioned,
            "home_address_known": incident.home_address_known, "perpetrator_known": incident.perpetrator_known,
            "description": incident.description, "perpetrator": incident.perpetrator,
        }
        if incident.occurred_at:
            local = timezone.localtime(incident.occurred_at)
            initial.update(day=str(local.day), month=str(local.month), year=str(local.year), time=f"{local:%H:%M}")
        for kind, (name, _, _) in OBSERVABLE_FIELDS.items():
            initial[name] = observables.get(kind.value, "")
        return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern): cleans to a list."""

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        cleaned = super().clean(data, initial)
        return [cleaned] if cleaned else []


class EvidenceForm(GovukForm):
    files = MultipleFileField(
        label=_("Upload a file"), required=False, help_text=f"{ALLOWED_DESCRIPTION}. You can choose more than one file.",
        widget=MultipleFileInput(attrs={"multiple": True}),
    )


class StatusForm(GovukForm):
    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    crime_reference = forms.CharField(label=_("Police crime reference number"), required=False, max_length=40,
                                      help_text=_("Needed when referring to police"), widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}))
    advice = forms.CharField(label=_("Advice given"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Needed when you record that advice was given"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300, help_text=_("Needed when closing or re-opening"))

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import allowed_transitions

        self.fields["status"].choices = [(s, Incident.Status(s).label) for s in allowed_transitions(incident)]


class AssignForm(GovukForm):
    assigned_to = forms.TypedChoiceField(label=_("Assign to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, advisers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "Nobody")] + [(u.pk, str(u)) for u in advisers]


class NoteForm(GovukForm):
    note = forms.CharField(label=_("Add a note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Notes are seen by FEOAs only"), error_messages={"required": _("Enter a note")})


class RiskForm(GovukForm):
    level = forms.ChoiceField(label=_("Risk level"), widget=forms.RadioSelect,
                              choices=[(r.value, r.value.title()) for r in RiskLevel] + [("", "Use the calculated score")], required=False)
    reason = forms.CharField(label=_("Why?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Enter why you are changing the risk level")})


class AccessRequestForm(GovukForm):
    reason = forms.CharField(label=_("Why do you need to see it?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Enter why you need to see this incident")})


class QueueFilterForm(GovukForm):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("open", "Open (not closed)"), ("", "Any")] + [(s.value, s.label) for s in Incident.Status if s != Incident.Status.DRAFT])
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=[("", "Any")] + [(r.value, r.value.title()) for r in RiskLevel])
    assigned = forms.ChoiceField(label=_("Assigned"), required=False, choices=[("", "Anyone"), ("me", "Me"), ("nobody", "Nobody")])
    overdue = forms.BooleanField(label=_("Only overdue for triage"), required=False)


class WarningForm(GovukForm):
    """An administrator puts a public value on the observables warning list."""

    kind = forms.ChoiceField(
        label="What kind of value is it?", widget=forms.RadioSelect,
        choices=[(k.value, k.label) for k in ObservableKind if k.matchable],
        error_messages={"required": "Select what kind of value this is"},
    )
    value = forms.CharField(
        label="Value", max_length=2048, help_text="As a report would name it: a telephone number, an email address, a handle, a web address",
        error_messages={"required": "Enter the value"}, widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Why must it never link incidents?", max_length=300,
        help_text="For example, 'the party's head-office number, printed on every leaflet'. Only public values belong here.",
        error_messages={"required": "Enter why this value must not link incidents"},
    )


class RetireWarningForm(GovukForm):
    reason = forms.CharField(label="Why may it link incidents again?", max_length=300, error_messages={"required": "Enter why this value may link incidents again"})


# ---------------------------------------------------------------------------------------------------
# Checklists (FEOAs and administrators only: not translated)


class TaskForm(GovukForm):
    """One task of an incident's checklist. ``services.update_task`` decides what is valid (a reason
    for not applicable, an owner of the incident's force); the form only reads the date."""

    state = forms.ChoiceField(label="Status of this task", widget=forms.RadioSelect,
                              choices=[(s.value, s.label) for s in TaskState], error_messages={"required": "Select to do, done or not applicable"})
    reason = forms.CharField(label="Why does it not apply?", required=False, max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Needed when the task is not applicable")
    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)
    day = forms.CharField(label="Day", required=False, max_length=2)
    month = forms.CharField(label="Month", required=False, max_length=2)
    year = forms.CharField(label="Year", required=False, max_length=4)
    time = forms.CharField(label="Time", required=False, max_length=5)

    def __init__(self, *args, advisers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Nobody")] + [(u.pk, str(u)) for u in advisers]

    @classmethod
    def initial_from(cls, task) -> dict:
        due = timezone.localtime(task.due_at)
        return {"state": task.state, "reason": task.reason, "owner": task.owner_id,
                "day": due.day, "month": due.month, "year": due.year, "time": f"{due:%H:%M}"}

    @property
    def date_fields(self):
        return [self["day"], self["month"], self["year"]]

    def due_at(self):
        """The due time typed, or ``None`` after adding the error to the date."""
        d = self.cleaned_data
        try:
            day, month, year = (int(d.get(p, "").strip()) for p in ("day", "month", "year"))
            text = d.get("time", "").strip() or "17:00"
            hour, minute = (int(x) for x in text.replace(".", ":").split(":"))
            return timezone.make_aware(dt.datetime(year, month, day, hour, minute))
        except (ValueError, TypeError):
            self.add_error("day", "Due date must be a real date and time, like 9 12 2026 and 17:00")
            return None


class TemplateTaskForm(GovukForm):
    title = forms.CharField(label="Task", required=False, max_length=MAX_TITLE)
    key = forms.CharField(label="Key", required=False, max_length=50, help_text="The same key in two checklists is one task on an incident",
                          widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}))
    guidance = forms.CharField(label="Guidance", required=False, max_length=MAX_GUIDANCE, widget=forms.Textarea(attrs={"rows": 2}))
    due_hours = forms.CharField(label="Due after (hours)", required=False, max_length=20,
                                widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}))
    due_hours_high = forms.CharField(label="Due after, when high risk (hours)", required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}))
    remove = forms.BooleanField(label="Remove this task", required=False)

    def as_input(self) -> TaskInput:
        d = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        if d.get("remove"):
            return TaskInput()
        return TaskInput(title=d.get("title", ""), key=d.get("key", ""), guidance=d.get("guidance", ""),
                         due_hours=d.get("due_hours", ""), due_hours_high=d.get("due_hours_high", ""))


TemplateTaskFormSet = forms.formset_factory(TemplateTaskForm, extra=3, max_num=MAX_TASKS + 3, absolute_max=MAX_TASKS + 3, validate_max=True)


class TemplateNoteForm(GovukForm):
    note = forms.CharField(label="What changed, and why? (optional)", required=False, max_length=300,
                           help_text="Shown in the list of versions")
