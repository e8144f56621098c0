"""The SAML service provider's URLs, at /sso/ (named in Préau's SP metadata)."""

from django.urls import path

from preau.sso import views

app_name = "sso"
urlpatterns = [
    path("metadata/", views.metadata, name="metadata"),
    path("login/", views.login, name="login"),
    path("acs/", views.acs, name="acs"),
    path("ls/", views.logout_service, name="ls"),
    path("choisir/", views.choose, name="choose"),
    path("deconnexion/", views.logout, name="logout"),
]
