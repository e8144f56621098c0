"""Console pages of the year change, mounted at /administration/changement-annee/."""

from django.urls import path

from preau.yearchange import views

app_name = "yearchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("academies/<id:academy_id>/calendrier/", views.calendar, name="calendar"),
    path("planifier/", views.plan, name="plan"),
    path("<id:run_id>/", views.run, name="run"),
    path("<id:run_id>/json", views.run_json, name="json"),
    path("<id:run_id>/approuver/", views.approve, name="approve"),
]
