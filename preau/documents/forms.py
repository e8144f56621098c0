"""Forms of the Espace documentaire. Target folders are offered from `access.contrib_folders`
(folders the user may add to); the actions check the rights again whatever is posted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import User
from preau.documents.access import contrib_folders
from preau.documents.actions import MAX_NAME
from preau.documents.models import Node

ROOT_CHOICE = "racine"


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME, strip=True)


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"), allow_empty_file=True)


class TargetFolderForm(forms.Form):
    """Where to move or copy a node: a folder the user may add to, or the top of their own
    documents."""

    target = forms.ChoiceField(label=_("Destination folder"))

    def __init__(self, user: User, node: Node, *, allow_root: bool, data: Any = None) -> None:
        super().__init__(data)
        folders = [f for f in contrib_folders(user)
                   if f.pk != node.pk and not f.path.startswith(node.inner_path)]
        names = {f.pk: f.name for f in folders}
        choices: list[tuple[str, str]] = []
        if allow_root:
            choices.append((ROOT_CHOICE, str(_("My documents (top level)"))))
        for folder in folders:
            trail = [names[i] for i in reversed(folder.ancestor_ids) if i in names]
            label = " / ".join([*trail, folder.name])
            if folder.owner_id != user.pk:
                label = f"{label} ({folder.owner.full_name})"
            choices.append((str(folder.pk), label))
        self.fields["target"].choices = choices  # type: ignore[attr-defined]
        self.folders = {f.pk: f for f in folders}

    def target_folder(self) -> Node | None:
        value = self.cleaned_data["target"]
        return None if value == ROOT_CHOICE else self.folders[int(value)]
