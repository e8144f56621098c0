"""Forms of the Annuaire. Choice querysets come from the communication rules, so a form
never accepts a person or group its user may not reach: an out-of-reach id is a validation
error, exactly like an unknown one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Profile, User
from preau.directory.communication import addressable_groups, reachable_users
from preau.directory.models import Group, SchoolClass, Structure
from preau.directory.queries import SearchFilters, search_classes, search_schools
from preau.lib.forms import IdModelChoiceField, IdModelMultipleChoiceField


class SchoolChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Structure) -> str:  # type: ignore[override]
        return obj.name


class ClassChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: SchoolClass) -> str:  # type: ignore[override]
        return f"{obj.name} — {obj.structure.name}"


class SearchForm(forms.Form):
    """The Annuaire's filters. Works as a plain GET form and as htmx's live search."""

    q = forms.CharField(label=_("Name"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    profile = forms.ChoiceField(label=_("Profile"), required=False,
                                choices=[("", _("All profiles")), *Profile.choices])
    school = SchoolChoiceField(label=_("School"), required=False,
                               queryset=Structure.objects.none(), empty_label=_("All my schools"))
    school_class = ClassChoiceField(label=_("Class"), required=False,
                                    queryset=SchoolClass.objects.none(),
                                    empty_label=_("All classes"))

    def __init__(self, viewer: User, data: QueryDict | dict[str, Any] | None = None) -> None:
        super().__init__(data)
        schools = search_schools(viewer)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        # Choosing a school refreshes the class choices (htmx); the results follow anyway.
        self.fields["school"].widget.attrs.update({
            "hx-get": reverse("directory:search"), "hx-trigger": "change",
            "hx-include": "closest form", "hx-target": "#class-filter", "hx-swap": "outerHTML",
        })
        chosen_school = None
        raw_school = (data or {}).get("school") or ""
        if str(raw_school).isdigit():
            chosen_school = schools.filter(pk=int(raw_school)).first()
        if viewer.is_ent_admin and chosen_school is None:
            self.fields["school_class"].empty_label = _("Choose a school first")  # type: ignore[attr-defined]
        self.fields["school_class"].queryset = search_classes(  # type: ignore[attr-defined]
            viewer, chosen_school).order_by("structure__name", "name")

    def filters(self) -> SearchFilters:
        """The valid filters; an invalid one (e.g. a school not offered) is ignored."""
        self.is_valid()
        data = self.cleaned_data
        return SearchFilters(text=data.get("q") or "", profile=data.get("profile") or "",
                             school=data.get("school"), school_class=data.get("school_class"))


class BookmarkNameForm(forms.Form):
    name = forms.CharField(label=_("Bookmark name"), max_length=120, strip=True)


class BookmarkMembersForm(forms.Form):
    """People and groups to put in a bookmark: only those its owner may reach."""

    users = IdModelMultipleChoiceField(queryset=User.objects.none(), required=False)
    groups = IdModelMultipleChoiceField(queryset=Group.objects.none(), required=False)

    def __init__(self, owner: User, data: QueryDict | None = None) -> None:
        super().__init__(data)
        self.fields["users"].queryset = reachable_users(owner)  # type: ignore[attr-defined]
        self.fields["groups"].queryset = addressable_groups(owner)  # type: ignore[attr-defined]

    def selected(self) -> tuple[list[User], list[Group]]:
        return list(self.cleaned_data["users"]), list(self.cleaned_data["groups"])


class NewMembersForm(BookmarkMembersForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("users") and not data.get("groups"):
            raise forms.ValidationError(_("Select at least one person or group."))
        return data


class BookmarkCreateForm(BookmarkMembersForm):
    """A new bookmark, possibly from a selection made in the search results."""

    name = forms.CharField(label=_("Bookmark name"), max_length=120, strip=True)


class CandidateSearchForm(forms.Form):
    q = forms.CharField(label=_("Search people or groups to add"), required=False,
                        max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
