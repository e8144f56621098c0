from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "preau.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from preau.lib import (
            checks,  # noqa: F401  (registers the system checks)
            converters,  # noqa: F401  (registers <id:…>, before any URL conf)
        )
