"""Shared helpers that hold no models."""
