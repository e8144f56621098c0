"""REST API v1: one router for every app, token and session auth, OpenAPI schema."""
