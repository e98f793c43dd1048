"""Forms for signing in, the second factor, the audit log search and API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ballotguard.core.forms import GovukBoundField, GovukDateField, GovukForm

from .models import AccessChange, AuditEvent, Role

class SignInForm(GovukForm):
    username = forms.CharField(label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip()


class CodeForm(GovukForm):
    code = forms.CharField(
        label=_("Security code"),
        help_text=_("The 6-digit code shown in your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-10"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("Enter the 6-digit security code from your authenticator app"))
        return code


class AuditSearchForm(GovukForm):
    actor = forms.CharField(label=_("Username"), required=False, max_length=150, widget=forms.TextInput(attrs={"spellcheck": "false"}))
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "Any action"), *AuditEvent.Action.choices])
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=50, help_text=_("For example, candidate"))
    object_id = forms.CharField(label=_("Object ID"), required=False, max_length=64)
    since = GovukDateField(label=_("From date"), required=False, help_text=_("On or after, for example 7 5 2026"))
    until = GovukDateField(label=_("To date"), required=False, help_text=_("On or before, for example 31 5 2026"))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("To date must be the same as or after the from date"))
        return data


class TokenForm(GovukForm):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, for example: force case system"))
    expires_in_days = forms.IntegerField(label="Expires after (days)", min_value=1, required=False, widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}))

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        field = self.fields["expires_in_days"]
        field.max_value = settings.BALLOTGUARD_TOKEN_MAX_DAYS
        field.validators.append(MaxValueValidator(field.max_value, f"A token can last at most {field.max_value} days"))
        field.initial = settings.BALLOTGUARD_TOKEN_DEFAULT_DAYS
        field.help_text = f"Between 1 and {field.max_value} days; {field.initial} if left empty"

    def clean_expires_in_days(self):
        from django.conf import settings

        return self.cleaned_data["expires_in_days"] or settings.BALLOTGUARD_TOKEN_DEFAULT_DAYS


class AccessGrantForm(GovukForm):
    """Propose a new user, or a new role and scope for an existing one (``accounts.access``)."""

    username = forms.CharField(label="Username", max_length=150, help_text="An existing user's username, or the username of a new user",
                               widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}))
    email = forms.EmailField(label="E-mail address (new users only)", required=False, max_length=254,
                             help_text="The invitation to set a password is sent here")
    first_name = forms.CharField(label="First name (new users only)", required=False, max_length=150)
    last_name = forms.CharField(label="Last name (new users only)", required=False, max_length=150)
    role = forms.ChoiceField(label="Role", choices=[("", "Select a role"), *Role.choices])
    forces = forms.ModelMultipleChoiceField(label="Police forces (FEOAs only)", required=False, queryset=None,
                                            widget=forms.CheckboxSelectMultiple)
    is_force_lead = forms.BooleanField(label="Lead FEOA of these forces (approves later changes to them)", required=False)
    council = forms.CharField(label="Council code (returning officers only)", required=False, max_length=12,
                              help_text="The ONS code of the council, for example E08000025")
    reason = forms.CharField(label="Why is this change needed?", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        from ballotguard.registry.models import PoliceForce

        super().__init__(*args, **kwargs)
        self.fields["forces"].queryset = PoliceForce.objects.order_by("name")

    def clean_council(self):
        from ballotguard.registry.models import Area

        code = self.cleaned_data["council"].strip().upper()
        if not code:
            return None
        council = Area.objects.filter(code=code, area_type=Area.Type.COUNCIL).first()
        if council is None:
            raise forms.ValidationError("There is no council with this code")
        return council


class CandidateAccessForm(GovukForm):
    """Propose linking a candidate record to a user, or a delegation (``accounts.access``)."""

    KINDS = (AccessChange.Kind.LINK_CANDIDATE, AccessChange.Kind.UNLINK_CANDIDATE, AccessChange.Kind.DELEGATE, AccessChange.Kind.END_DELEGATION)
    kind = forms.ChoiceField(label="Change", widget=forms.RadioSelect, choices=[(k.value, k.label) for k in KINDS])
    candidate = forms.IntegerField(label="Candidate record number", min_value=1, max_value=2**31 - 1,
                                   help_text="The number at the end of the candidate page's address")
    username = forms.CharField(label="Username", max_length=150, widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}))
    reason = forms.CharField(label="Why is this change needed?", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_candidate(self):
        from ballotguard.registry.models import Candidate

        candidate = Candidate.objects.select_related("ballot").filter(pk=self.cleaned_data["candidate"]).first()
        if candidate is None:
            raise forms.ValidationError("There is no candidate record with this number")
        return candidate


class ActivationForm(GovukForm):
    """Propose deactivating or reactivating a user (``accounts.access.propose_activation``)."""

    username = forms.CharField(label="Username", max_length=150, widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}))
    change = forms.ChoiceField(label="Change", widget=forms.RadioSelect, choices=[
        ("deactivate", "Deactivate: they can no longer sign in, and their API tokens stop working"),
        ("reactivate", "Reactivate: they can sign in again with their role and scope as they were"),
    ])
    reason = forms.CharField(label="Why is this change needed?", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class SuspensionForm(GovukForm):
    """Suspend a user at once (``accounts.access.suspend``): one person, no approval."""

    username = forms.CharField(label="Username", max_length=150, widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}))
    reason = forms.CharField(label="Why are you suspending them?", max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="For example: laptop stolen, account used by someone else. The user's forces will see this.")


class AccessDecisionForm(GovukForm):
    note = forms.CharField(label="Note (needed to reject)", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class GovukSetPasswordForm(SetPasswordForm):
    """Django's set-password form (the invitation an administrator sends instead of setting a password),
    with GOV.UK markup, and labels, hints and errors of our own so that they are in the Welsh catalogue
    (Django's Welsh has none of the password validators' messages)."""

    bound_field_class = GovukBoundField

    error_links = GovukForm.error_links

    error_messages = {"password_mismatch": _("The two passwords do not match: enter the same password twice")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label, second.label = _("New password"), _("Confirm your new password")
        first.error_messages["required"] = _("Enter a new password")
        second.error_messages["required"] = _("Enter your new password again")
        first.help_text = ngettext(
            "At least %(min_length)d character. Not a commonly used password, not only numbers, and not like your name, username or e-mail address.",
            "At least %(min_length)d characters. Not a commonly used password, not only numbers, and not like your name, username or e-mail address.",
            _min_password_length()) % {"min_length": _min_password_length()}
        second.help_text = _("Enter the same password again")

    def validate_password_for_user(self, user, password_field_name="password2"):
        from django.contrib.auth import password_validation
        from django.core.exceptions import ValidationError

        password = self.cleaned_data.get(password_field_name)
        if not password:
            return
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            for problem in error.error_list:
                self.add_error(password_field_name, _password_problem(problem))


def _min_password_length() -> int:
    from django.contrib.auth import password_validation

    lengths = [v.min_length for v in password_validation.get_default_password_validators() if hasattr(v, "min_length")]
    return max(lengths, default=1)


def _password_problem(problem) -> str:
    """A password validator's complaint in the language of the page (by its code; else Django's words)."""
    if problem.code == "password_too_short":
        length = (problem.params or {}).get("min_length", _min_password_length())
        return ngettext("This password is too short: it must be at least %(min_length)d character",
                        "This password is too short: it must be at least %(min_length)d characters", length) % {"min_length": length}
    known = {
        "password_too_common": _("This password is too commonly used: choose another"),
        "password_entirely_numeric": _("This password is only numbers: add letters or other characters"),
        "password_too_similar": _("This password is too like your name, username or e-mail address"),
    }
    if problem.code in known:
        return str(known[problem.code])
    return " ".join(problem.messages)
