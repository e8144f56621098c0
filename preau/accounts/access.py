"""Authorise by fetching, for objects of the accounts app (people are in directory.access)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from preau.accounts.models import PersonalToken, User


def visible_tokens(user: User) -> QuerySet[PersonalToken]:
    """A user's own tokens that still work: nobody else's are ever listed."""
    return PersonalToken.objects.filter(user=user, revoked_at__isnull=True)


def access_own_token(user: User, token_id: int) -> PersonalToken:
    """Tokens are their owner's alone: anyone else's, or a revoked one, is a 404."""
    token = visible_tokens(user).filter(pk=token_id).select_related("user").first()
    if token is None:
        raise Http404
    return token
