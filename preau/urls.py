from django.conf import settings
from django.urls import include, path

from preau.directory import views as directory_views
from preau.lib.admin import admin_urls

urlpatterns = [
    path("", directory_views.home, name="home"),
    path("compte/", include("preau.accounts.urls")),
    path("sso/", include("preau.sso.urls")),
    path("annuaire/", include("preau.directory.urls")),
    path("documents/", include("preau.documents.urls")),
    path("messagerie/", include("preau.messaging.urls")),
    path("administration/", include("preau.console.urls")),
    path("changement-annee/", include("preau.yearchange.urls")),
    path("partages/", include("preau.sharing.urls")),
    path("api/v1/", include("preau.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
if settings.PREAU_DJANGO_ADMIN:  # off unless set (docs/configuration.md)
    urlpatterns += admin_urls()
