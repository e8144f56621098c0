from django.urls import path

from preau.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.index, name="index"),
    path("dossier/<id:folder_id>/", views.own_folder, name="own_folder"),
    path("dossier/<id:folder_id>/renommer/", views.rename_folder, name="rename_folder"),
    path("dossier/<id:folder_id>/supprimer/", views.delete_folder, name="delete_folder"),
    path("dossiers/nouveau/", views.create_folder, name="create_folder"),
    path("corbeille/vider/", views.empty_trash, name="empty_trash"),
    path("nouveau/", views.compose, name="compose"),
    path("destinataires/", views.recipients, name="recipients"),
    path("brouillon/<id:message_id>/", views.draft, name="draft"),
    path("message/<id:message_id>/", views.message, name="message"),
    path("message/<id:message_id>/repondre/", views.reply, name="reply"),
    path("message/<id:message_id>/repondre-a-tous/", views.reply_all, name="reply_all"),
    path("message/<id:message_id>/transferer/", views.forward, name="forward"),
    path("message/<id:message_id>/non-lu/", views.mark_unread, name="mark_unread"),
    path("message/<id:message_id>/deplacer/", views.move, name="move"),
    path("message/<id:message_id>/supprimer/", views.trash, name="trash"),
    path("message/<id:message_id>/restaurer/", views.restore, name="restore"),
    path("message/<id:message_id>/supprimer-definitivement/", views.delete_for_good,
         name="delete_for_good"),
    path("message/<id:message_id>/pieces-jointes/<id:attachment_id>/", views.attachment,
         name="attachment"),
    path("message/<id:message_id>/pieces-jointes/<id:attachment_id>/apercu/",
         views.attachment_preview, name="attachment_preview"),
    path("message/<id:message_id>/pieces-jointes/<id:attachment_id>/copier/",
         views.copy_attachment, name="copy_attachment"),
    path("message/<id:message_id>/pieces-jointes/<id:attachment_id>/retirer/",
         views.refuse_attachment, name="refuse_attachment"),
    path("<str:slug>/", views.folder, name="folder"),
]
