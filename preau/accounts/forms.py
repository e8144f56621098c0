"""Account forms: login, activation, password change, personal tokens.

Errors never tell whether a login exists: a blocked or federated account is named as such
only once the person proved they hold its secret (right password or activation code).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from preau.accounts import bruteforce
from preau.accounts.actions import (
    ACTIVATION_CODE_LENGTH,
    AccountError,
    blocked_message,
    check_activation_code,
    federated_message,
)
from preau.accounts.models import User


class LoginForm(AuthenticationForm):
    """Django's form (it passes `request` to `authenticate`, which axes needs), in our words."""

    username = forms.CharField(
        label=_("Login"), max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                      "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "inactive": _("This account cannot log in."),
    }

    def get_invalid_login_error(self) -> ValidationError:
        """Points to the login page's single sign-on buttons, only those that exist."""
        from preau.sso.routing import invalid_login_message

        return ValidationError(invalid_login_message(), code="invalid_login")

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            reason = self._refusal_for_account_owner()
            if reason:
                raise ValidationError(reason, code="refused") from error
            raise

    def _refusal_for_account_owner(self) -> str | None:
        """Says 'blocked' or 'use your académie login' to whoever typed the right password.

        Never while axes locks the login out (that would make the password guessable), and
        with one hash computation whether or not the login exists (no timing oracle).
        """
        if self.request is None or bruteforce.is_request_locked_out(self.request):
            return None
        login = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        user = User.objects.filter(login=login).first()
        if user is None or (user.is_active and not user.federated):
            User().set_password(password)  # the same hashing work as a real check
            return None
        if not user.check_password(password):
            return None
        return federated_message() if user.federated else blocked_message()


def _code_help_text() -> str:
    return gettext("The %(length)d characters printed on your connection sheet.") % {
        "length": ACTIVATION_CODE_LENGTH}


class ActivationCodeForm(forms.Form):
    """First step of the activation: the login and code printed on the connection sheet."""

    login = forms.CharField(
        label=_("Login"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Activation code"), max_length=20,
        help_text=lazy(_code_help_text, str)(),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        login = cleaned.get("login")
        code = cleaned.get("code")
        if not login or not code:
            return cleaned
        if bruteforce.is_locked_out(self.request, login):
            raise ValidationError(_("Too many attempts: try again later."), code="locked")
        try:
            self.user = check_activation_code(login, code)
        except AccountError as error:
            if error.counts_as_failure:
                bruteforce.record_failure(self.request, login)
            raise ValidationError(error.message, code="refused") from error
        return cleaned


class ActivationPasswordForm(SetPasswordForm):
    """Second step: accept the charter and choose a password (settings' validators)."""

    charter = forms.BooleanField(
        label=_("I have read the charter of use and I accept it."),
        required=True,
        error_messages={"required": _("You must accept the charter of use to activate your "
                                      "account.")},
    )

    field_order = ["charter", "new_password1", "new_password2"]


class ChangePasswordForm(PasswordChangeForm):
    """A wrong old password counts as a failed login (the session could be someone else's)."""

    def __init__(self, user: User, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = _("Current password")

    def clean_old_password(self) -> str:
        login = self.user.get_username()
        if bruteforce.is_locked_out(self.request, login):
            raise ValidationError(_("Too many attempts: try again later."), code="locked")
        try:
            return super().clean_old_password()
        except ValidationError:
            bruteforce.record_failure(self.request, login)
            raise


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100,
        help_text=_("What the token is for, e.g. the name of your script."),
    )


class SecondFactorCodeForm(forms.Form):
    """The 6 digits of the authenticator app (the login's second step, enrolment, My
    account)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=20,
        help_text=_("6 digits, renewed every 30 seconds."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autocapitalize": "none", "spellcheck": "false",
                                      "size": 8}),
    )


class RecoveryCodeForm(forms.Form):
    """One of the ten recovery codes, when the phone is not at hand (letters and digits)."""

    code = forms.CharField(
        label=_("Recovery code"), max_length=20,
        help_text=_("8 characters, such as abcd-2345. Each code works once."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false", "size": 12}),
    )
