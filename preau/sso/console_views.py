"""The console's single sign-on pages (ENT admins): identity providers (list, add from a
file or a URL, settings, new metadata, refresh, removal) and the log of federated logins."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from preau.console.rights import ent_admin_required
from preau.directory.models import Academy
from preau.lib.errors import Refusal
from preau.sso.actions import (
    check_add_idp,
    check_replace_metadata,
    check_update_idp,
    do_refresh_metadata,
    do_remove_idp,
)
from preau.sso.config import sp_entity_id
from preau.sso.forms import AttemptFilterForm, IdpAddForm, IdpSettingsForm, MetadataForm
from preau.sso.metadata import MAX_BYTES, read_source
from preau.sso.models import IdentityProvider, LoginAttempt

PAGE_SIZE = 50


def _render(request: HttpRequest, template: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    return render(request, template, {"console_tab": "sso", **context}, status=status)


def _access_idp(idp_id: int) -> IdentityProvider:
    idp = IdentityProvider.objects.filter(pk=idp_id).first()
    if idp is None:
        raise Http404
    return idp


@ent_admin_required
def idps(request: HttpRequest) -> HttpResponse:
    rows = (IdentityProvider.objects.order_by("kind", "name", "pk")
            .annotate(linked=Count("links", distinct=True))
            .prefetch_related(Prefetch("academies", queryset=Academy.objects.order_by("name"))))
    return _render(request, "sso/console/idps.html", {
        "idps": rows, "sp_metadata_url": sp_entity_id(request)})


def _settings(form: IdpSettingsForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"name": data["name"], "academies": data["academies"],
            "identity_attribute": data["identity_attribute"],
            "identity_match": data["identity_match"], "allow_pupils": data["allow_pupils"],
            "certificate": data["certificate"]}


@ent_admin_required
@require_http_methods(["GET", "POST"])
def idp_add(request: HttpRequest) -> HttpResponse:
    form = IdpAddForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["metadata_file"]
        try:
            if upload:
                if upload.size > MAX_BYTES:
                    raise Refusal(_("The metadata is larger than 5 MiB."))
                data, source = upload.read(), upload.name
            else:
                source = form.cleaned_data["metadata_url"]
                data = read_source(source)
            idp = check_add_idp(kind=form.cleaned_data["kind"], metadata=data, source=source,
                                **_settings(form))
        except Refusal as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Identity provider %(name)s added.") % {"name": idp.name})
            return redirect("console:sso:idp", idp.pk)
    return _render(request, "sso/console/idp_add.html", {"form": form},
                   status=400 if form.errors else 200)


@ent_admin_required
@require_http_methods(["GET", "POST"])
def idp(request: HttpRequest, idp_id: int) -> HttpResponse:
    idp = _access_idp(idp_id)
    initial = {"name": idp.name, "academies": list(idp.academies.all()),
               "identity_attribute": idp.identity_attribute,
               "identity_match": idp.identity_match, "allow_pupils": idp.allow_pupils,
               "certificate": idp.metadata_cert}
    form = IdpSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            check_update_idp(idp, **_settings(form))
        except Refusal as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("console:sso:idp", idp.pk)
    return _render(request, "sso/console/idp.html", {
        "idp": idp, "form": form, "metadata_form": MetadataForm(),
        "linked": idp.links.count()}, status=400 if form.errors else 200)


@ent_admin_required
@require_POST
def idp_metadata(request: HttpRequest, idp_id: int) -> HttpResponse:
    """New metadata: an uploaded file, or a refresh from the IdP's URL."""
    idp = _access_idp(idp_id)
    if "refresh" in request.POST:
        result = do_refresh_metadata(idp)
        if result in ("updated", "unchanged"):
            messages.success(request, _("Metadata refreshed from its URL."))
        else:
            messages.error(request, _("Metadata not refreshed: %(error)s") % {"error": result})
        return redirect("console:sso:idp", idp.pk)
    form = MetadataForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["metadata_file"]
        try:
            if upload.size > MAX_BYTES:
                raise Refusal(_("The metadata is larger than 5 MiB."))
            check_replace_metadata(idp, upload.read(), upload.name)
        except Refusal as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Metadata replaced."))
    else:
        messages.error(request, _("Choose a metadata file."))
    return redirect("console:sso:idp", idp.pk)


@ent_admin_required
@require_http_methods(["GET", "POST"])
def idp_remove(request: HttpRequest, idp_id: int) -> HttpResponse:
    idp = _access_idp(idp_id)
    if request.method == "POST":
        do_remove_idp(idp)
        messages.success(request, _("Identity provider %(name)s removed.") % {"name": idp.name})
        return redirect("console:sso:idps")
    return _render(request, "sso/console/idp_remove.html", {
        "idp": idp, "linked": idp.links.count()})


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@ent_admin_required
def attempts(request: HttpRequest) -> HttpResponse:
    """The log of federated logins, newest first, filtered by IdP, outcome and dates."""
    form = AttemptFilterForm(request.GET or None)
    rows = LoginAttempt.objects.select_related("idp", "user").order_by("-at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["idp"]:
            rows = rows.filter(idp=data["idp"])
        if data["outcome"]:
            rows = rows.filter(outcome=data["outcome"])
        if data["since"]:
            rows = rows.filter(at__gte=_day_start(data["since"]))
        if data["until"]:
            rows = rows.filter(at__lt=_day_start(data["until"] + datetime.timedelta(days=1)))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "sso/console/attempts.html", {"form": form, "page": page})
