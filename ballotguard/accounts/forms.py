"""Forms for signing in, the second factor, the audit log search and API tokens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ballotguard.core.forms import GovukForm

from .models import AuditEvent

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
    since = forms.DateField(label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("On or after, for example 2026-05-07"))
    until = forms.DateField(label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("On or before"))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("To date must be the same as or after the from date"))
        return data


class TokenForm(GovukForm):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, for example: force case system"))
