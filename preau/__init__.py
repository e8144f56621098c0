"""Préau: an open-source ENT for French primary schools."""

__version__ = "0.1.0"
