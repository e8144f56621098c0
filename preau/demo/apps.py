from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "preau.demo"
    label = "demo"
