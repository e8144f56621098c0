"""What OPTIONS answers on every API endpoint (REST_FRAMEWORK["DEFAULT_METADATA_CLASS"]).

DRF's SimpleMetadata describes POST and PUT bodies from the view's `serializer_class`: views
without one answered 500, and viewsets answered their output serializer's fields, not what
they accept. The OpenAPI schema is the one description of the inputs; OPTIONS gives the
view's name and description, the media types, the schema's address, and the methods in
`Allow`. It reads nothing from the database.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request


class ApiMetadata(BaseMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": reverse("api-schema"),
        }
