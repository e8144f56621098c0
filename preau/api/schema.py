"""The OpenAPI schema's view, and how the personal tokens appear in it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>`, a key made by `preau token create LOGIN`."""

    target_class = "preau.accounts.tokens.PersonalTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix="Token")


class SchemaView(SpectacularAPIView):
    """The schema, for logged-in callers (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]): an
    anonymous one gets the API's 401 with its `WWW-Authenticate: Token` challenge."""

    def get_authenticate_header(self, request: Request) -> str:
        from preau.api.views import ApiView

        return ApiView.get_authenticate_header(self, request)  # type: ignore[arg-type]
