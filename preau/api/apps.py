from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "preau.api"
    label = "api"
