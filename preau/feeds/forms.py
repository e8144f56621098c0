"""Console forms of the feeds: they parse input; choices are already limited by rights."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import User
from preau.console.forms import SchoolChoiceField
from preau.directory.access import administered_structures
from preau.feeds.actions import upload_formats


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the files of one extraction)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"))
    academy = forms.CharField(
        label=_("Académie prefix"), required=False, max_length=32,
        help_text=_("AAF files: the prefix of their external ids, e.g. the name of their "
                    "folder."))
    school = SchoolChoiceField(label=_("School"), queryset=None, required=False,
                               help_text=_("ONDE and CSV files: the school they describe."))
    feed_files = MultipleFileField(label=_("Files"))
    dry_run = forms.BooleanField(label=_("Dry run: compute everything, change nothing"),
                                 required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        formats = self.fields["format"]
        assert isinstance(formats, forms.ChoiceField)
        formats.choices = upload_formats(actor)
        school = self.fields["school"]
        assert isinstance(school, forms.ModelChoiceField)
        school.queryset = administered_structures(actor).order_by("name")
        if not actor.is_ent_admin:
            del self.fields["academy"]
