"""Django's admin site, when the operator switches it on (PREAU_DJANGO_ADMIN=true).

It is never served to anonymous visitors: its own login form is replaced by Préau's login
page (which counts failures like every other password form), and a logged-in user who is not
an operator gets a 404, as for any page that is not theirs.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse


def login_through_preau(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if request.user.is_staff and request.user.is_active:
            return redirect("admin:index")
        raise Http404
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


def admin_urls() -> list[URLPattern | URLResolver]:
    return [path("django-admin/login/", login_through_preau),
            path("django-admin/", admin.site.urls)]
