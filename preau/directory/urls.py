from django.urls import path

from preau.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("classes/", views.classes, name="classes"),
    path("classes/<id:class_id>/", views.class_detail, name="class"),
    path("classes/<id:class_id>/rattacher/", views.attach_class, name="attach_class"),
    path("classes/<id:class_id>/detacher/", views.detach_class, name="detach_class"),
    path("rattachements/<id:link_id>/approuver/", views.approve_attachment,
         name="approve_attachment"),
    path("rattachements/<id:link_id>/retirer/", views.remove_attachment,
         name="remove_attachment"),
    path("personnes/<id:user_id>/", views.person, name="person"),
    path("groupes/<id:group_id>/", views.group, name="group"),
    path("favoris/", views.bookmarks, name="bookmarks"),
    path("favoris/nouveau/", views.bookmark_create, name="bookmark_create"),
    path("favoris/<id:bookmark_id>/", views.bookmark_detail, name="bookmark"),
    path("favoris/<id:bookmark_id>/renommer/", views.bookmark_rename, name="bookmark_rename"),
    path("favoris/<id:bookmark_id>/supprimer/", views.bookmark_delete, name="bookmark_delete"),
    path("favoris/<id:bookmark_id>/ajouter/", views.bookmark_add_members, name="bookmark_add"),
    path("favoris/<id:bookmark_id>/membres/<id:member_id>/retirer/",
         views.bookmark_remove_member, name="bookmark_remove_member"),
    path("favoris/<id:bookmark_id>/retirer-invisibles/", views.bookmark_remove_unreachable,
         name="bookmark_remove_unreachable"),
]
