"""The composer's recipient search survives the redirect whatever the user typed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils.html import escape

from preau.messaging.models import Message


@pytest.mark.parametrize("query", ["Martin & Fils #2", "a+b=c", "100 %", "50%25", "Zoé?x=1/2",
                                   "l'Été"])
def test_the_search_query_comes_back_whole(client_for, personas, query):
    client = client_for(personas.teacher)
    response = client.post(reverse("messaging:compose"), {
        "subject": "Réunion", "action": "search", "q": query})
    assert response.status_code == 302
    draft = Message.objects.get()
    location = urlsplit(response["Location"])
    assert location.path == reverse("messaging:draft", args=[draft.pk])
    assert parse_qs(location.query) == {"q": [query]}
    assert location.fragment == "recipients"
    page = client.get(response["Location"]).content.decode()
    assert f'name="q" value="{escape(query)}"' in page
