from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "preau.documents"
    label = "documents"
    verbose_name = _("Document space")

    def ready(self) -> None:
        from preau.documents import checks  # noqa: F401  (registers the system checks)
        from preau.documents.access import SHAREABLE_NODE
        from preau.sharing.registry import register

        register(SHAREABLE_NODE)
