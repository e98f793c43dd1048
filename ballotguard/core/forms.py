"""GOV.UK forms for every page of the service.

``GovukForm`` is the base of every form: its bound fields add GOV.UK classes, error modifiers and
``aria-describedby`` to widgets, and ``error_links`` feeds the error summary, so templates render
fields with one include (``includes/field.html``) instead of repeating markup.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.forms.boundfield import BoundField
from django.template import loader
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

_WIDGET_CLASS = {
    "text": "govuk-input", "email": "govuk-input", "password": "govuk-input", "number": "govuk-input",
    "tel": "govuk-input", "date": "govuk-input", "search": "govuk-input", "url": "govuk-input",
    "textarea": "govuk-textarea", "select": "govuk-select",
    "file": "govuk-file-upload", "clearablefile": "govuk-file-upload", "multiplefile": "govuk-file-upload",
    "radioselect": "govuk-radios__input", "checkbox": "govuk-checkboxes__input",
    "checkboxselectmultiple": "govuk-checkboxes__input", "govukdate": "govuk-input govuk-date-input__input",
}
_GROUPED = {"radioselect", "checkboxselectmultiple", "govukdate"}  # described on the fieldset, not each input


class GovukBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        kind = self.widget_type
        base = _WIDGET_CLASS.get(kind)
        if base:
            # The widget's own classes (a width like govuk-input--width-5) are kept: the widget merges
            # these attrs over its own, so a class set here would otherwise replace them.
            own = (widget or self.field.widget).attrs.get("class", "")
            classes = [base, *own.split(), *attrs.get("class", "").split()]
            if self.errors and kind not in {"radioselect", "checkbox", "checkboxselectmultiple"}:
                classes.append("govuk-input--error" if kind == "govukdate" else f"{base}--error")
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


def has_control_characters(value: str) -> bool:
    """NUL and the other control characters nobody types (tab and line breaks are fine)."""
    return any((ch < " " and ch not in "\t\n\r") or "\x7f" <= ch <= "\x9f" for ch in value)


class GovukForm(forms.Form):
    bound_field_class = GovukBoundField

    def full_clean(self):
        """Every text field refuses control characters, naming the field: PostgreSQL cannot store NUL,
        and no person types the others."""
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, value in list(self.cleaned_data.items()):
            if isinstance(value, str) and has_control_characters(value):
                label = self.fields[name].label if name in self.fields else ""
                self.add_error(name, gettext("%(label)s must not contain control characters (such as NUL)") % {"label": label or gettext("This field")})

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


# ---------------------------------------------------------------------------------------------------
# Dates the GOV.UK way (issue 16): three boxes, day, month and year, instead of the browser's own date
# picker, which shows mm/dd/yyyy or dd/mm/yyyy by the browser's settings, never what the hint says.

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class GovukDateInput(forms.MultiWidget):
    """GOV.UK date input: ``<name>_day``, ``<name>_month``, ``<name>_year``. A single ISO date posted
    under the field's own name (``day=2026-05-07``, as scripts and older links send) is read too."""

    template_name = "includes/widgets/govuk_date_input.html"

    def __init__(self, attrs=None):
        boxes = {"day": forms.TextInput(), "month": forms.TextInput(), "year": forms.TextInput()}
        super().__init__(boxes, attrs)

    def _render(self, template_name, context, renderer=None):
        # The project's template engine (the form renderer's own does not look in ballotguard/templates).
        return mark_safe(loader.render_to_string(template_name, context))

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and _ISO_DATE.match(value):
            year, month, day = value.split("-")
            return [day, month, year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        whole = data.get(name)
        if whole and not any(data.get(f"{name}_{part}") for part in ("day", "month", "year")):
            return self.decompress(str(whole).strip())
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)


class GovukDateField(forms.MultiValueField):
    """A date typed into three boxes. Errors say what is missing ("Date must include a month") or that
    the date is not real, as the GOV.UK pattern asks."""

    widget = GovukDateInput
    default_error_messages = {
        "invalid": gettext_lazy("Enter a real date, for example 27 3 2026"),
        "incomplete": gettext_lazy("Enter a real date, for example 27 3 2026"),
    }

    def __init__(self, **kwargs):
        parts = (forms.CharField(required=False, max_length=4), forms.CharField(required=False, max_length=4),
                 forms.CharField(required=False, max_length=6))
        kwargs.setdefault("require_all_fields", False)
        super().__init__(parts, **kwargs)

    def compress(self, data_list):
        if not data_list or not any((v or "").strip() for v in data_list):
            return None
        values = [(v or "").strip() for v in data_list]
        if not all(v.isdigit() for v in values):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        day, month, year = (int(v) for v in values)
        if year < 1000:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
