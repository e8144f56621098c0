"""Owners' page of the year change, mounted at /changement-annee/."""

from django.urls import path

from preau.yearchange import views

app_name = "yearchange"
urlpatterns = [
    path("mes-partages/", views.my_shares, name="my_shares"),
    path("mes-partages/<id:share_id>/nominatif/", views.convert, name="convert"),
    path("mes-partages/<id:share_id>/enseignant/", views.hand_over, name="hand_over"),
]
