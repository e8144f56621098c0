from tests.documents.conftest import backend
from tests.s3 import moto_s3_server

__all__ = ["backend", "moto_s3_server"]  # attachments live in the documents' storage
