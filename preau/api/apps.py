from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "preau.api"
    label = "api"

    def ready(self) -> None:
        from preau.api import schema  # noqa: F401  (registers the OpenAPI extensions)
