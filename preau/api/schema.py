"""OpenAPI extensions: how the personal tokens appear in the schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>`, a key made by `preau token create LOGIN`."""

    target_class = "preau.accounts.tokens.PersonalTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix="Token")
