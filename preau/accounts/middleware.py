"""The half-logged-in session: past the password, not yet past the second factor.

Such a session reaches the second step, the logout and the language switch, nothing else:
pages (the console included) redirect to the second step, htmx requests are told to go
there, the API answers 403. Every request passes here, so no view can forget it.
Requests authenticated by a personal API token carry no session user: they are not
concerned (see docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from preau.accounts.second_factor import needs_second_factor, verified_device


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    @staticmethod
    def allowed_paths() -> tuple[str, ...]:
        return (reverse("accounts:second_factor_step"), reverse("accounts:logout"),
                reverse("set_language"), settings.STATIC_URL)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if not settings.PREAU_ADMIN_SECOND_FACTOR or user is None \
                or not user.is_authenticated:
            return None
        if verified_device(request) is not None or not needs_second_factor(user):
            return None
        if request.path.startswith(self.allowed_paths()):
            return None
        step = reverse("accounts:second_factor_step")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _(
                "Your login is not finished: type the code of your second factor on %(url)s."
            ) % {"url": step}}, status=403)
        target = step
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=403)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
