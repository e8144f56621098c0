"""Préau's middleware: the language, the refusals' net and the cache policy.

French first: Django's LocaleMiddleware follows the browser's Accept-Language, so a school
computer set up in English would show Préau in English. Here only the user's explicit
choice (the language cookie set by the header's selector) changes the language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from preau.lib.errors import Refusal


class FrenchFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RefusalMiddleware:
    """The web's net for refusals: an action's `Refusal` that a view did not handle is
    answered with its status and its message (a page, an htmx fragment, or JSON for the
    upload script), never as a 500. Views that show the message in their own form still
    catch it themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest,
                          exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Refusal):
            return None
        message = str(exception)
        response: HttpResponse
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": message, **exception.details()},
                                    status=exception.status)
        elif request.headers.get("HX-Request") == "true":
            response = HttpResponse(format_html('<p class="message error" role="alert">{}</p>',
                                                message), status=exception.status)
        else:
            back = request.headers.get("Referer", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                back = reverse("home")
            response = render(request, "refused.html", {"message": message, "back": back},
                              status=exception.status)
        for name, value in exception.headers().items():
            response[name] = value
        return response


class PrivateCacheMiddleware:
    """Every answer to a logged-in user is `Cache-Control: no-store, private`: pages, htmx
    fragments, the API (session or token), downloads and thumbnails. School computers are
    shared; neither the browser's cache (the back button after logging out) nor a proxy may
    keep what one user saw for the next. Static files are served before this (WhiteNoise)
    and keep their caching; anonymous pages (the login page) are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: DRF puts the token's user on the request while answering.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response
