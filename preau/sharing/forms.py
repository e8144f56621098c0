"""Forms of the share dialog. They only parse: who may be shared with is decided by
`preau.sharing.actions.check_share` (the communication rules), so an out-of-reach person is
refused there with its message, exactly like through the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import User
from preau.directory.models import Group, ShareBookmark
from preau.lib.forms import IdModelChoiceField, IdModelMultipleChoiceField
from preau.sharing.models import RIGHT_ORDER, Right


def right_choices() -> list[tuple[str, Any]]:
    """The reference ENT's order: Lecture, Contribution, Commentaire, Gestion."""
    return [(r.value, Right(r).label) for r in RIGHT_ORDER]


class RightsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Rights"))
        kwargs.setdefault("required", False)
        super().__init__(choices=right_choices, **kwargs)


class ShareSearchForm(forms.Form):
    q = forms.CharField(label=_("Search people or groups"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))

    def text(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class SelectionForm(forms.Form):
    """People and groups picked in the dialog's search results."""

    users = IdModelMultipleChoiceField(queryset=User.objects.alive(), required=False)
    groups = IdModelMultipleChoiceField(queryset=Group.objects.all(), required=False)

    def selected(self) -> tuple[list[User], list[Group]]:
        return list(self.cleaned_data["users"]), list(self.cleaned_data["groups"])


class ShareForm(SelectionForm):
    """Share with the selection, or (one click) with one of the actor's bookmarks."""

    rights = RightsField()
    bookmark = IdModelChoiceField(queryset=ShareBookmark.objects.none(), required=False)

    def __init__(self, actor: User, data: QueryDict | None = None) -> None:
        super().__init__(data)
        self.fields["bookmark"].queryset = ShareBookmark.objects.filter(  # type: ignore[attr-defined]
            owner=actor)


class RightsForm(forms.Form):
    rights = RightsField()


class SaveBookmarkForm(SelectionForm):
    name = forms.CharField(label=_("Bookmark name"), max_length=120, strip=True,
                           error_messages={"required": _("Give the bookmark a name.")})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("users") and not data.get("groups"):
            raise forms.ValidationError(_("Select at least one person or group."))
        return data
