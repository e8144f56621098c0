from __future__ import annotations

import pytest

from preau.documents.actions import check_create_folder
from preau.documents.models import Node
from tests.documents.helpers import upload


@pytest.fixture
def folder(personas) -> Node:
    return check_create_folder(personas.teacher, "Projets")


@pytest.fixture
def doc(personas, folder) -> Node:
    """A file of the teacher's, in her folder "Projets"."""
    return upload(personas.teacher, "séquence.txt", b"Lecture CM1\n", folder)
