"""GOV.UK classes on form widgets: added beside a widget's own, never instead of them."""

from __future__ import annotations

from django import forms

from ballotguard.core.forms import GovukForm


class _Form(GovukForm):
    time = forms.CharField(required=True, help_text="For example, 21:30", widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}))


def test_a_widgets_own_width_class_survives_and_errors_add_theirs():
    html = str(_Form()["time"])
    assert 'class="govuk-input govuk-input--width-5"' in html and 'aria-describedby="id_time-hint"' in html
    bound = _Form(data={"time": ""})
    assert not bound.is_valid()
    assert 'class="govuk-input govuk-input--width-5 govuk-input--error"' in str(bound["time"])
