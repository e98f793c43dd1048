"""Forms for signing in, the second factor, the audit log search and API tokens.

``GovukForm`` is the base of every form in the service's pages: its bound fields add GOV.UK classes,
error modifiers and ``aria-describedby`` to widgets, and ``error_links`` feeds the error summary, so
templates render fields with one include (``includes/field.html``) instead of repeating markup.
"""

from __future__ import annotations

from django import forms
from django.forms.boundfield import BoundField

from .models import AuditEvent

_WIDGET_CLASS = {
    "text": "govuk-input", "email": "govuk-input", "password": "govuk-input", "number": "govuk-input",
    "tel": "govuk-input", "date": "govuk-input", "search": "govuk-input", "url": "govuk-input",
    "textarea": "govuk-textarea", "select": "govuk-select",
    "file": "govuk-file-upload", "clearablefile": "govuk-file-upload", "multiplefile": "govuk-file-upload",
    "radioselect": "govuk-radios__input", "checkbox": "govuk-checkboxes__input",
    "checkboxselectmultiple": "govuk-checkboxes__input",
}
_GROUPED = {"radioselect", "checkboxselectmultiple"}  # described on the fieldset, not each input


class GovukBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        kind = self.widget_type
        base = _WIDGET_CLASS.get(kind)
        if base:
            classes = [base, *attrs.get("class", "").split()]
            if self.errors and kind not in {"radioselect", "checkbox", "checkboxselectmultiple"}:
                classes.append(f"{base}--error")
            attrs["class"] = " ".join(dict.fromkeys(c for c in classes if c))
        if kind not in _GROUPED:
            described = []
            if self.help_text:
                described.append(f"{self.auto_id}-hint")
            if self.errors:
                described.append(f"{self.auto_id}-error")
            if described:
                attrs["aria-describedby"] = " ".join(described)
            else:
                attrs.pop("aria-describedby", None)
        else:
            attrs.pop("aria-describedby", None)
        return attrs


class GovukForm(forms.Form):
    bound_field_class = GovukBoundField

    def error_links(self) -> list[dict]:
        """Every error as ``{"href", "text"}`` for the GOV.UK error summary, in field order."""
        links: list[dict] = []
        first_id = None
        for name, field in self.fields.items():
            bound = self[name]
            anchor = bound.auto_id + ("_0" if bound.widget_type in _GROUPED else "")
            first_id = first_id or anchor
            for message in self.errors.get(name, []):
                links.append({"href": f"#{anchor}", "text": message})
        for message in self.non_field_errors():
            links.insert(0, {"href": f"#{first_id}" if first_id else "#main-content", "text": message})
        return links


class SignInForm(GovukForm):
    username = forms.CharField(label="Username", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}))
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip()


class CodeForm(GovukForm):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code shown in your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-10"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("Enter the 6-digit security code from your authenticator app")
        return code


class AuditSearchForm(GovukForm):
    actor = forms.CharField(label="Username", required=False, max_length=150, widget=forms.TextInput(attrs={"spellcheck": "false"}))
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *AuditEvent.Action.choices])
    object_type = forms.CharField(label="Object type", required=False, max_length=50, help_text="For example, candidate")
    object_id = forms.CharField(label="Object ID", required=False, max_length=64)
    since = forms.DateField(label="From date", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="On or after, for example 2026-05-07")
    until = forms.DateField(label="To date", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="On or before")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "To date must be the same as or after the from date")
        return data


class TokenForm(GovukForm):
    name = forms.CharField(label="Token name", max_length=100, help_text="What the token is for, for example: force case system")
