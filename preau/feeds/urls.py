from django.urls import path

from preau.feeds import views

app_name = "feeds"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("importer/", views.upload, name="upload"),
    path("<int:run_id>/", views.run, name="run"),
    path("<int:run_id>/progression/", views.run_progress_fragment, name="progress"),
    path("<int:run_id>/json", views.run_json, name="json"),
    path("<int:run_id>/approuver/", views.run_decide, {"decision": "approve"},
         name="approve"),
    path("<int:run_id>/rejeter/", views.run_decide, {"decision": "reject"}, name="reject"),
    path("academies/<int:academy_id>/suspension/", views.academy_freeze,
         name="academy_freeze"),
]
