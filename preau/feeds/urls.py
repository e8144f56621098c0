from django.urls import path

from preau.feeds import views

app_name = "feeds"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("importer/", views.upload, name="upload"),
    path("<id:run_id>/", views.run, name="run"),
    path("<id:run_id>/progression/", views.run_progress_fragment, name="progress"),
    path("<id:run_id>/json", views.run_json, name="json"),
    path("<id:run_id>/approuver/", views.run_decide, {"decision": "approve"},
         name="approve"),
    path("<id:run_id>/rejeter/", views.run_decide, {"decision": "reject"}, name="reject"),
    path("academies/<id:academy_id>/suspension/", views.academy_freeze,
         name="academy_freeze"),
]
