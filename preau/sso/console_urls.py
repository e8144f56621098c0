"""Console pages of single sign-on, mounted at /administration/identification/."""

from django.urls import path

from preau.sso import console_views as views

app_name = "sso"
urlpatterns = [
    path("", views.idps, name="idps"),
    path("ajouter/", views.idp_add, name="idp_add"),
    path("journal/", views.attempts, name="attempts"),
    path("<id:idp_id>/", views.idp, name="idp"),
    path("<id:idp_id>/metadonnees/", views.idp_metadata, name="idp_metadata"),
    path("<id:idp_id>/supprimer/", views.idp_remove, name="idp_remove"),
]
