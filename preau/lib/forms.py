"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from preau.lib.ids import parse_id


class IdModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model chosen by id: a value that is not an id the database can hold is an invalid
    choice (a form error), never a number sent to the database."""

    def _model(self) -> type:
        assert self.queryset is not None
        return self.queryset.model

    def to_python(self, value: Any) -> Any:
        if (value not in self.empty_values and not isinstance(value, self._model())
                and parse_id(value) is None):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Models chosen by id, each checked as `IdModelChoiceField` does (Django's own field
    sends an `IN (…)` of whatever numbers it was given)."""

    def _model(self) -> type:
        assert self.queryset is not None
        return self.queryset.model

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not isinstance(pk, self._model()) and parse_id(pk) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"],
                                      code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)  # type: ignore[misc]
