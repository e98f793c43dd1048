"""GOV.UK forms for every page of the service.

``GovukForm`` is the base of every form: its bound fields add GOV.UK classes, error modifiers and
``aria-describedby`` to widgets, and ``error_links`` feeds the error summary, so templates render
fields with one include (``includes/field.html``) instead of repeating markup.
"""

from __future__ import annotations

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext

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
            # The widget's own classes (a width like govuk-input--width-5) are kept: the widget merges
            # these attrs over its own, so a class set here would otherwise replace them.
            own = (widget or self.field.widget).attrs.get("class", "")
            classes = [base, *own.split(), *attrs.get("class", "").split()]
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
