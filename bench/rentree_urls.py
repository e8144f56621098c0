"""URLs of the rentrée load test's server (see `bench/rentree_site.py`): Préau's, plus the
bare one-query view the pages are measured against."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

BARE_PATH = "bench/bare/"


def bare(request: HttpRequest) -> HttpResponse:
    """One `SELECT 1` and a tiny response: what any page costs at the least on this server
    (WSGI, middleware, a database connection as the settings make it, one round trip)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path(BARE_PATH, bare, name="bench_bare"),
    path("", include("preau.urls")),
]
