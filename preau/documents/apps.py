from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "preau.documents"
    label = "documents"
    verbose_name = _("Document space")

    def ready(self) -> None:
        from preau.documents.access import SHAREABLE_NODE
        from preau.sharing.registry import register

        register(SHAREABLE_NODE)
