from django.urls import path

from preau.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.index, name="index"),
    path("dossier/<id:node_id>/", views.folder, name="folder"),
    path("partages-avec-moi/", views.shared, name="shared"),
    path("applis/", views.apps, name="apps"),
    path("corbeille/", views.trash, name="trash"),
    path("corbeille/vider/", views.empty_trash, name="empty_trash"),
    path("corbeille/<id:node_id>/restaurer/", views.restore, name="restore"),
    path("corbeille/<id:node_id>/supprimer/", views.delete_for_good, name="delete_for_good"),
    path("deposer/", views.upload, name="upload"),
    path("nouveau-dossier/", views.create_folder, name="create_folder"),
    path("fichier/<id:node_id>/", views.file, name="file"),
    path("fichier/<id:node_id>/telecharger/", views.download, name="download"),
    path("fichier/<id:node_id>/apercu/", views.preview, name="preview"),
    path("fichier/<id:node_id>/miniature/", views.thumbnail, name="thumbnail"),
    path("fichier/<id:node_id>/icone/", views.icon, name="icon"),
    path("fichier/<id:node_id>/versions/", views.new_version, name="new_version"),
    path("fichier/<id:node_id>/versions/<id:version_id>/restaurer/", views.restore_version,
         name="restore_version"),
    path("element/<id:node_id>/renommer/", views.rename, name="rename"),
    path("element/<id:node_id>/deplacer/", views.move, name="move"),
    path("element/<id:node_id>/copier/", views.copy, name="copy"),
    path("element/<id:node_id>/copier-dans-mes-documents/", views.copy_to_mine,
         name="copy_to_mine"),
    path("element/<id:node_id>/supprimer/", views.delete, name="delete"),
]
