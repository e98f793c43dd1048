"""Insights forms: the reason asked before a pseudonym is revealed."""

from __future__ import annotations

from django import forms

from .services import MIN_REASON


class RevealForm(forms.Form):
    pseudonym = forms.CharField(label="Record pseudonym", max_length=18, help_text="For example, P-1A2B3C4D5E6F7A8B",
                                error_messages={"required": "Enter the record pseudonym"},
                                widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}))
    reason = forms.CharField(label="Why do you need to see who this is?", max_length=2000,
                             help_text=f"At least {MIN_REASON} characters. Your reason is recorded, encrypted, and reviewed; "
                                       "the audit log records that you looked.",
                             error_messages={"required": "Give the reason you need to see who this is"},
                             widget=forms.Textarea(attrs={"rows": 3}))
