"""REST API v1 routes, mounted at /api/v1/. The OpenAPI schema is at schema/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from preau.api import views

router = SimpleRouter(use_regex_path=False)
router.register("me/tokens", views.MyTokenViewSet, basename="api-token")
router.register("people", views.PersonViewSet, basename="api-person")
router.register("classes", views.ClassViewSet, basename="api-class")
router.register("groups", views.GroupViewSet, basename="api-group")
router.register("bookmarks", views.BookmarkViewSet, basename="api-bookmark")
router.register("admin/users", views.AdminUserViewSet, basename="api-admin-user")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("directory/search/", views.DirectorySearchView.as_view(), name="api-search"),
    *router.urls,
]
