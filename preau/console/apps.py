from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "preau.console"
    label = "console"
