from django import forms

from .models import Message

REVIEW_CHOICES = [
    ("waiting", "Waiting for review"),
    ("confirmed", "Confirmed abusive"),
    ("promoted", "Promoted to an incident"),
    ("dismissed", "Dismissed"),
    ("all", "All flagged"),
]


class QueueFilterForm(forms.Form):
    review = forms.ChoiceField(label="Show", choices=REVIEW_CHOICES, required=False)
    threats_only = forms.BooleanField(label="Threats and exposed addresses only", required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("dismiss", "Dismiss"), ("confirm", "Confirm abusive"), ("promote", "Promote to an incident")],
                                 error_messages={"required": "Choose what to do with this message", "invalid_choice": "Choose what to do with this message"})
    expected_review = forms.ChoiceField(choices=Message.Review.choices, required=False)
