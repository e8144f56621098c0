"""Small helpers for the accounts tests."""

from html import unescape


def text(response) -> str:
    """The page as a reader sees it (entities decoded: d&#x27;activation -> d'activation)."""
    return unescape(response.content.decode())
