from django.contrib import admin
from django.urls import include, path

from preau.directory import views as directory_views

urlpatterns = [
    path("", directory_views.home, name="home"),
    path("compte/", include("preau.accounts.urls")),
    path("annuaire/", include("preau.directory.urls")),
    path("documents/", include("preau.documents.urls")),
    path("messagerie/", include("preau.messaging.urls")),
    path("administration/", include("preau.console.urls")),
    path("changement-annee/", include("preau.yearchange.urls")),
    path("partages/", include("preau.sharing.urls")),
    path("api/v1/", include("preau.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
