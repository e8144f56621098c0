"""Account pages: log in, activate, my account (identity, password, tokens), password reset
by someone else, connection sheets. Each view parses input, calls one action, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from preau.accounts.access import access_own_token, visible_tokens
from preau.accounts.actions import (
    AccountError,
    activation_code_digest,
    check_activation_still_valid,
    check_create_token,
    check_reset_password,
    do_activate,
    do_change_password,
    reset_password_refusal,
)
from preau.accounts.bruteforce import remember_device
from preau.accounts.forms import (
    ActivationCodeForm,
    ActivationPasswordForm,
    ChangePasswordForm,
    LoginForm,
    TokenForm,
)
from preau.accounts.models import User
from preau.accounts.sheets import PARENTS, PUPILS, class_sheets, parse_profiles, user_sheet
from preau.accounts.tokens import do_revoke_token
from preau.directory.access import ApprovalPending, access_class, access_managed_user
from preau.directory.models import StructureAttachment

ACTIVATION_SESSION_KEY = "preau_activation"
LOCAL_BACKEND = "preau.accounts.backends.LocalPasswordBackend"


def _posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: even an empty POST is a submission (and shows errors)."""
    return request.POST if request.method == "POST" else None


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class PreauLoginView(LoginView):
    """Django's LoginView: its form passes `request` to `authenticate`, as axes requires.
    A success makes this browser a known device of the login (see bruteforce)."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        remember_device(self.request, response, form.get_user().get_username())
        return response


# Activation ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Step 1: login + activation code. Wrong codes count towards the axes lockout."""
    form = ActivationCodeForm(request, _posted(request))
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        request.session[ACTIVATION_SESSION_KEY] = {
            "user": form.user.pk,
            "code": activation_code_digest(form.user.activation_code),
        }
        return redirect("accounts:activate_password")
    return render(request, "accounts/activate.html", {"form": form})


@require_http_methods(["GET", "POST"])
def activate_password(request: HttpRequest) -> HttpResponse:
    """Step 2: accept the charter, choose a password; then the user is logged in."""
    pending = request.session.get(ACTIVATION_SESSION_KEY)
    if not isinstance(pending, dict):
        return redirect("accounts:activate")
    try:
        user = check_activation_still_valid(int(pending["user"]), str(pending["code"]))
    except (AccountError, KeyError, TypeError, ValueError) as error:
        request.session.pop(ACTIVATION_SESSION_KEY, None)
        if isinstance(error, AccountError):
            messages.error(request, error.message)
        return redirect("accounts:activate")
    form = ActivationPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        do_activate(user, form.cleaned_data["new_password1"])
        request.session.pop(ACTIVATION_SESSION_KEY, None)
        login(request, user, backend=LOCAL_BACKEND)
        messages.success(request, _("Your account is activated. Welcome!"))
        response = redirect("home")
        remember_device(request, response, user.login)
        return response
    return render(request, "accounts/activate_password.html", {"form": form, "person": user})


# My account ----------------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    schools = [a.structure for a in StructureAttachment.objects.filter(user=me)
               .select_related("structure").order_by("structure__name")]
    return render(request, "accounts/profile.html", {
        "nav": "account", "tab": "profile", "schools": schools, "sheet": user_sheet(me),
    })


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = None
    if not me.federated:
        form = ChangePasswordForm(me, request, _posted(request))
        if request.method == "POST" and form.is_valid():
            do_change_password(me, form.cleaned_data["new_password1"])
            update_session_auth_hash(request, me)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/password.html",
                  {"nav": "account", "tab": "password", "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The new key is rendered in the answer to the POST only: it is never stored."""
    me = _me(request)
    if not me.may_hold_api_tokens:
        raise PermissionDenied  # the tab is not offered (pupils, parents, guests)
    form = TokenForm(_posted(request))
    new_key = None
    if request.method == "POST" and form.is_valid():
        new_key = check_create_token(me, form.cleaned_data["name"])
        form = TokenForm()
    return render(request, "accounts/tokens.html", {
        "nav": "account", "tab": "tokens", "form": form, "new_key": new_key,
        "tokens": visible_tokens(me),
    })


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    me = _me(request)
    token = access_own_token(me, token_id)
    do_revoke_token(token, me)
    messages.success(request, _("The token %(name)s has been revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# Someone else's account ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """GET asks for confirmation; POST resets and shows the new activation code once."""
    me = _me(request)
    try:
        person = access_managed_user(me, user_id)
    except ApprovalPending as pending:
        return _approval_pending(request, pending)
    error = reset_password_refusal(person, me)
    if request.method == "POST" and error is None:
        try:
            code = check_reset_password(person, me)
        except AccountError as refused:
            error = refused.message
        else:
            return render(request, "accounts/reset_done.html",
                          {"person": person, "code": code})
    return render(request, "accounts/reset_confirm.html", {"person": person, "error": error})


def _approval_pending(request: HttpRequest, pending: ApprovalPending) -> HttpResponse:
    """The 403 of a teacher whose own attachment waits for approval, saying so."""
    return render(request, "accounts/approval_pending.html",
                  {"nav": "annuaire", "message": str(pending)}, status=403)


def _render_sheets(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    context["activation_url"] = request.build_absolute_uri(reverse("accounts:activate"))
    return render(request, "accounts/sheets.html", context)


@login_required
def class_sheets_view(request: HttpRequest, class_id: int) -> HttpResponse:
    try:
        school_class = access_class(_me(request), class_id, manage=True)
    except ApprovalPending as pending:
        return _approval_pending(request, pending)
    profiles = parse_profiles(request.GET.getlist("profils"))
    return _render_sheets(request, {
        "school_class": school_class, "sheets": class_sheets(school_class, profiles),
        "profiles": profiles, "PUPILS": PUPILS, "PARENTS": PARENTS,
    })


@login_required
def user_sheet_view(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        person = access_managed_user(_me(request), user_id)
    except ApprovalPending as pending:
        return _approval_pending(request, pending)
    return _render_sheets(request, {"person": person, "sheets": [user_sheet(person)]})
