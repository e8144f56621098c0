from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import User
from preau.lib.forms import IdModelChoiceField
from preau.yearchange.models import YearCalendar


class CalendarForm(forms.ModelForm):
    class Meta:
        model = YearCalendar
        fields = ["end_of_year", "first_teachers_feed", "transition", "rentree", "bascule_onde",
                  "first_families_feed", "convert_purged_shares"]
        widgets = {name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                   for name in ["end_of_year", "first_teachers_feed", "transition", "rentree",
                                "bascule_onde", "first_families_feed"]}


class ApproveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have read the plan: run the year change now"), required=True)


class HandOverForm(forms.Form):
    teacher = IdModelChoiceField(queryset=User.objects.none(), label=_("Next year's teacher"))

    def __init__(self, *args: object, teachers: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teacher"].queryset = teachers  # type: ignore[attr-defined]
