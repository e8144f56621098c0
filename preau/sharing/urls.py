from django.urls import path

from preau.sharing import views

app_name = "sharing"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("<str:resource_type>/<id:resource_id>/", views.dialog, name="dialog"),
    path("<str:resource_type>/<id:resource_id>/ajouter/", views.share, name="share"),
    path("<str:resource_type>/<id:resource_id>/favori/", views.save_bookmark,
         name="save_bookmark"),
    path("<str:resource_type>/<id:resource_id>/retirer-autres/", views.unshare_hidden,
         name="unshare_hidden"),
    path("<str:resource_type>/<id:resource_id>/<id:share_id>/droits/", views.update_rights,
         name="update_rights"),
    path("<str:resource_type>/<id:resource_id>/<id:share_id>/retirer/", views.unshare,
         name="unshare"),
]
