from django.contrib.auth import views as auth_views
from django.urls import path

from preau.accounts import second_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.PreauLoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    # The login's second step (what a half-logged-in session may reach: see middleware.py).
    path("connexion/code/", second_factor_views.second_factor_step,
         name="second_factor_step"),
    path("activation/", views.activate, name="activate"),
    path("activation/mot-de-passe/", views.activate_password, name="activate_password"),
    path("", views.profile, name="profile"),
    path("mot-de-passe/", views.change_password, name="password"),
    path("double-authentification/", second_factor_views.second_factor,
         name="second_factor"),
    path("double-authentification/codes-de-secours/",
         second_factor_views.renew_recovery_codes, name="renew_recovery_codes"),
    path("double-authentification/retirer/", second_factor_views.remove_second_factor,
         name="remove_second_factor"),
    path("jetons/", views.tokens, name="tokens"),
    path("jetons/<id:token_id>/revoquer/", views.revoke_token, name="revoke_token"),
    path("reinitialiser/<id:user_id>/", views.reset_password, name="reset_password"),
    path("fiches/classe/<id:class_id>/", views.class_sheets_view, name="class_sheets"),
    path("fiches/<id:user_id>/", views.user_sheet_view, name="user_sheet"),
]
