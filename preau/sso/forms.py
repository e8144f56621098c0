"""The console's forms for identity providers and the SSO log (they parse; actions check)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Academy
from preau.lib.forms import IdModelChoiceField, IdModelMultipleChoiceField
from preau.sso.models import IdentityProvider, IdpKind, Outcome, StaffMatch


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class IdpSettingsForm(forms.Form):
    name = forms.CharField(label=_("Display name"), max_length=100,
                           help_text=_("Shown on the login page's button."))
    academies = IdModelMultipleChoiceField(
        label=_("Académies served"), required=False, queryset=Academy.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("EduConnect: the académie codes of FrEduCtRefId are read for these only. "
                    "Académie portals: the accounts of these académies."))
    identity_attribute = forms.CharField(
        label=_("Identity attribute (académie portals)"), max_length=100, initial="ctemail",
        help_text=_("mail or ctemail for the académie e-mail, or the attribute holding the "
                    "feed's identifier."))
    identity_match = forms.ChoiceField(label=_("Matched with"), choices=StaffMatch.choices,
                                       initial=StaffMatch.EMAIL)
    allow_pupils = forms.BooleanField(label=_("Pupils may log in (EduConnect)"),
                                      required=False)
    certificate = forms.CharField(
        label=_("Metadata signing certificate (PEM, optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("When given, the metadata must be signed with it (at every refresh too)."))


class IdpAddForm(IdpSettingsForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=IdpKind.choices)
    metadata_file = forms.FileField(label=_("Metadata file"), required=False)
    metadata_url = forms.URLField(label=_("or metadata URL"), required=False,
                                  assume_scheme="https",
                                  help_text=_("Refreshed every day from this URL."))

    field_order = ["kind", "name", "metadata_file", "metadata_url"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("metadata_file")) == bool(cleaned.get("metadata_url")):
            raise forms.ValidationError(_("Give the metadata as a file or as a URL (one of "
                                          "them)."))
        return cleaned


class MetadataForm(forms.Form):
    metadata_file = forms.FileField(label=_("New metadata file"))


class AttemptFilterForm(forms.Form):
    """The log's filters (GET; a bad value is ignored)."""

    idp = IdModelChoiceField(label=_("Identity provider"), required=False,
                             queryset=IdentityProvider.objects.order_by("name"),
                             empty_label=_("All"))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All")), *Outcome.choices])
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
