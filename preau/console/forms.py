"""Console forms: they parse input; the choices they offer are already limited by rights."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from preau.accounts.models import Profile, State, User
from preau.console.actions import profiles_creatable_in
from preau.directory.access import administered_structures, managed_users
from preau.directory.models import Level, SchoolClass, Structure
from preau.lib.forms import IdModelChoiceField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class SchoolChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.uai})"


class ClassChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.structure.name} — {obj.name}"


class PersonChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.last_name} {obj.first_name} ({obj.login})"


def active_classes_of(structures: QuerySet[Structure]) -> QuerySet[SchoolClass]:
    return (SchoolClass.objects.active().filter(structure__in=structures)
            .select_related("structure").order_by("structure__name", "name"))


class UserFilterForm(forms.Form):
    """The users list's search box and filters (GET; a bad value is simply ignored)."""

    q = forms.CharField(label=_("Name or login"), required=False, max_length=100)
    profile = forms.ChoiceField(label=_("Profile"), required=False,
                                choices=[("", _("All profiles")), *Profile.choices])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *State.choices])
    school = SchoolChoiceField(label=_("School"), required=False, queryset=Structure.objects.none(),
                               empty_label=_("All my schools"))
    school_class = ClassChoiceField(label=_("Class"), required=False,
                                    queryset=SchoolClass.objects.none(),
                                    empty_label=_("All classes"),
                                    help_text=_("Choose a school first to list its classes."))

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = administered_structures(actor)
        self.fields["school"].queryset = schools.only("id", "name", "uai")  # type: ignore[attr-defined]
        chosen = self.data.get("school")
        classes: QuerySet[SchoolClass] = SchoolClass.objects.none()
        if chosen and str(chosen).isdigit():
            classes = active_classes_of(schools.filter(pk=int(chosen)))
        self.fields["school_class"].queryset = classes  # type: ignore[attr-defined]


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the history)"), required=False,
                             max_length=400)


class IdentityForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())


class ChooseSchoolForm(forms.Form):
    school = SchoolChoiceField(label=_("School"), queryset=Structure.objects.none())

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = administered_structures(actor)  # type: ignore[attr-defined]


class CreateAccountForm(IdentityForm):
    """A manual account in one school; the profiles offered depend on whether it has a feed."""

    profile = forms.ChoiceField(label=_("Profile"))
    school_class = IdModelChoiceField(
        label=_("Class"), required=False, queryset=SchoolClass.objects.none(),
        empty_label=_("No class"), help_text=_("For a pupil only."))

    field_order = ["profile", "first_name", "last_name", "email", "birth_date", "school_class"]

    def __init__(self, structure: Structure, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {**dict(Profile.choices), Profile.RELATIVE: _("Parent or foster family")}
        profiles = profiles_creatable_in(structure)
        self.fields["profile"].choices = [(p, labels[p]) for p in profiles]  # type: ignore[attr-defined]
        self.fields["profile"].help_text = _(
            "A foster family is a Parent account linked to its pupils on the account's page.")
        if Profile.STUDENT in profiles:
            self.fields["school_class"].queryset = (  # type: ignore[attr-defined]
                SchoolClass.objects.active().filter(structure=structure).order_by("name"))
        else:
            del self.fields["school_class"]


class AttachSchoolForm(forms.Form):
    structure = SchoolChoiceField(label=_("School"), queryset=Structure.objects.none())

    def __init__(self, actor: User, person: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = (  # type: ignore[attr-defined]
            administered_structures(actor).exclude(attachments__user=person))


class AttachClassForm(forms.Form):
    school_class = ClassChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())

    def __init__(self, actor: User, person: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = administered_structures(actor).filter(attachments__user=person)
        self.fields["school_class"].queryset = active_classes_of(schools)  # type: ignore[attr-defined]


class LinkChildForm(forms.Form):
    student = PersonChoiceField(label=_("Pupil"), queryset=User.objects.none())

    def __init__(self, actor: User, relative: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = administered_structures(actor).filter(attachments__user=relative)
        self.fields["student"].queryset = (  # type: ignore[attr-defined]
            managed_users(actor).exclude(state__in=(State.DELETED, State.PREDELETED))
            .filter(profile=Profile.STUDENT, attachments__structure__in=schools)
            .exclude(relative_links__relative=relative).distinct()
            .order_by("last_name", "first_name"))


class SchoolAdminForm(forms.Form):
    login = forms.CharField(label=_("Login of the teacher or staff member"), max_length=150)


class ClassForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64,
                           help_text=_("Unique in the school for the school year, e.g. CP-A."))
    name = forms.CharField(label=_("Name"), max_length=200)
    levels = forms.MultipleChoiceField(label=_("Levels"), choices=Level.choices,
                                       widget=forms.CheckboxSelectMultiple)


class SchoolYearForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=9, help_text=_("e.g. 2024-2025"))
    start = forms.DateField(label=_("Start"), widget=DateInput())
    end = forms.DateField(label=_("End"), widget=DateInput())


# Quotas: amounts typed in Mo or Go (binary units, as the document space counts them).
MIB = 1024 ** 2
GIB = 1024 ** 3
UNITS = {"MiB": MIB, "GiB": GIB}


def amount_and_unit(limit: int) -> tuple[Decimal, str]:
    """How a quota is shown in the form: in Go when it is a whole number of Go, else in Mo."""
    if limit and limit % GIB == 0:
        return Decimal(limit // GIB), "GiB"
    return (Decimal(limit) / MIB).quantize(Decimal("0.01")).normalize(), "MiB"


class QuotaForm(forms.Form):
    """A quota as an amount and a unit (Mo or Go); the form gives bytes."""

    amount = forms.DecimalField(label=_("Quota"), min_value=0, max_digits=12, decimal_places=2,
                                localize=True)
    unit = forms.ChoiceField(label=_("Unit"), choices=[("MiB", _("MB (megabytes)")),
                                                       ("GiB", _("GB (gigabytes)"))])
    limit_required = True

    def __init__(self, *args: Any, limit: int | None = None, **kwargs: Any) -> None:
        if limit is not None and "initial" not in kwargs:
            amount, unit = amount_and_unit(limit)
            kwargs["initial"] = {"amount": amount, "unit": unit}
        super().__init__(*args, **kwargs)
        self.fields["amount"].required = self.limit_required
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})

    def limit(self) -> int | None:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            return None
        return int(amount * UNITS[self.cleaned_data["unit"]])


class ProfileQuotaForm(QuotaForm):
    profile = forms.ChoiceField(choices=Profile.choices, widget=forms.HiddenInput)


class UserQuotaForm(QuotaForm):
    """Empty: the account follows its profile's quota."""

    limit_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["aria-describedby"] = "user-quota-help"
