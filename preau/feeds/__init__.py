"""Feeding (alimentation): turning the académie's feed files into directory changes.

`preau.feeds.parsers` reads the files (AAF / AAF1D XML, ONDE CSV extractions, manual CSV
templates) into typed records without touching the database; the importer that writes them
into the directory comes on top of it. This package is not a Django app (yet): it holds no
models, so it is not listed in INSTALLED_APPS.
"""
