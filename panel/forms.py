"""Input parsing for panel forms. Rules (name length, trainable languages) live in the services."""

from django import forms


class CustomModelCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    # A plain field, not a ChoiceField: the service decides what an unknown or
    # unpublished language is, with the error wording the spec gives.
    language = forms.CharField(max_length=20)


class CustomModelRenameForm(forms.Form):
    name = forms.CharField(max_length=200)
