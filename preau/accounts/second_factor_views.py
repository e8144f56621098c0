"""The second factor's pages: the login's second step (enrol, or type a code) and the
second factor's tab of My account. Kept apart from the login view, which they follow: the
middleware sends a half-logged-in session here, whatever logged it in."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from preau.accounts.forms import RecoveryCodeForm, SecondFactorCodeForm
from preau.accounts.models import User
from preau.accounts.second_factor import (
    SecondFactorError,
    SecondFactorLocked,
    check_enrol,
    check_remove_second_factor,
    check_renew_recovery_codes,
    check_second_factor,
    mark_verified,
    needs_second_factor,
    second_factor_state,
    start_enrolment,
    totp_device,
    verified_device,
)
from preau.accounts.views import _me, _posted

RECOVERY_PREFIX = "recovery"


def _next_url(request: HttpRequest) -> str:
    """Where the login goes on: the `next` the middleware kept, if it is a local path."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_step(request: HttpRequest) -> HttpResponse:
    """After the password: set up the app (no device yet) or type a code."""
    me = _me(request)
    next_url = _next_url(request)
    if not needs_second_factor(me) or verified_device(request) is not None:
        return redirect(next_url)
    if totp_device(me) is None:
        return _enrol(request, me, next_url)
    return _verify(request, me, next_url)


def _verify(request: HttpRequest, me: User, next_url: str) -> HttpResponse:
    recovery = request.method == "POST" and f"{RECOVERY_PREFIX}-code" in request.POST
    code_form = SecondFactorCodeForm(None if recovery else _posted(request))
    recovery_form = RecoveryCodeForm(_posted(request) if recovery else None,
                                     prefix=RECOVERY_PREFIX)
    form = recovery_form if recovery else code_form
    status, headers = 200, {}
    if request.method == "POST" and form.is_valid():
        try:
            verified = check_second_factor(me, form.cleaned_data["code"])
        except SecondFactorError as error:
            form.add_error("code", str(error))
            if isinstance(error, SecondFactorLocked):
                status, headers = error.status, error.headers()
        else:
            mark_verified(request, verified.device)
            left = verified.recovery_codes_left
            if left is not None:
                messages.warning(request, ngettext(
                    "You used a recovery code: %(left)d is left. Renew your recovery codes "
                    "from My account.",
                    "You used a recovery code: %(left)d are left. Renew your recovery codes "
                    "from My account.", left) % {"left": left})
            return redirect(next_url)
    response = render(request, "accounts/second_factor_verify.html", {
        "code_form": code_form, "recovery_form": recovery_form, "recovery": recovery,
        "next": next_url, "second_step": True}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _enrol(request: HttpRequest, me: User, next_url: str) -> HttpResponse:
    enrolment = start_enrolment(me)
    form = SecondFactorCodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            codes = check_enrol(me, enrolment.device, form.cleaned_data["code"])
        except SecondFactorError as error:
            form.add_error("code", str(error))
        else:
            mark_verified(request, enrolment.device)
            return _recovery_codes_page(request, codes, next_url, enrolled=True)
    return render(request, "accounts/second_factor_enrol.html", {
        "form": form, "enrolment": enrolment, "next": next_url, "second_step": True})


def _recovery_codes_page(request: HttpRequest, codes: list[str], next_url: str, *,
                         enrolled: bool) -> HttpResponse:
    """The new recovery codes, shown in this answer only (never stored in clear)."""
    text = "\n".join([_("Recovery codes of %(login)s (each works once):")
                      % {"login": _me(request).login}, "", *codes, ""])
    return render(request, "accounts/second_factor_codes.html", {
        "nav": "account", "codes": codes, "next": next_url, "enrolled": enrolled,
        "download": "data:text/plain;charset=utf-8," + quote(text)})


# My account ----------------------------------------------------------------------------------


def _account_page(request: HttpRequest, *, renew: SecondFactorCodeForm | None = None,
                  remove: SecondFactorCodeForm | None = None,
                  status: int = 200) -> HttpResponse:
    me = _me(request)
    return render(request, "accounts/second_factor.html", {
        "nav": "account", "tab": "second_factor", "state": second_factor_state(me),
        "required": needs_second_factor(me),
        "renew_form": renew or SecondFactorCodeForm(prefix="renew"),
        "remove_form": remove or SecondFactorCodeForm(prefix="remove"),
    }, status=status)


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def renew_recovery_codes(request: HttpRequest) -> HttpResponse:
    form = SecondFactorCodeForm(request.POST, prefix="renew")
    if form.is_valid():
        try:
            codes = check_renew_recovery_codes(_me(request), form.cleaned_data["code"])
        except SecondFactorError as error:
            form.add_error("code", str(error))
            return _account_page(request, renew=form, status=error.status)
        return _recovery_codes_page(request, codes, reverse("accounts:second_factor"),
                                    enrolled=False)
    return _account_page(request, renew=form, status=400)


@login_required
@require_POST
def remove_second_factor(request: HttpRequest) -> HttpResponse:
    form = SecondFactorCodeForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            check_remove_second_factor(_me(request), form.cleaned_data["code"])
        except SecondFactorError as error:
            form.add_error("code", str(error))
            return _account_page(request, remove=form, status=error.status)
        messages.success(request, _("Your authenticator app and your recovery codes are "
                                    "removed."))
        if needs_second_factor(_me(request)):
            return redirect("accounts:second_factor_step")
        return redirect("accounts:second_factor")
    return _account_page(request, remove=form, status=400)
