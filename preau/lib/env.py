"""Typed readers for environment variables: a bad value fails loudly at start."""

import os
from collections.abc import Collection, Mapping

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_int_map(name: str) -> dict[str, int]:
    """`Student=30,Relative=60` -> {"Student": 30, "Relative": 60}."""
    raw = os.environ.get(name, "").strip()
    result: dict[str, int] = {}
    if not raw:
        return result
    for item in raw.split(","):
        key, sep, value = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            result[key.strip()] = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must look like Student=30,Relative=60, got {raw!r}") from None
    return result


def env_int_map_over(name: str, defaults: Mapping[str, int],
                     keys: Collection[str]) -> dict[str, int]:
    """`defaults`, with the values set in `name` (`Student=30,Relative=60`) over them. A key
    outside `keys` stops the start: a misspelt profile would silently keep its default."""
    given = env_int_map(name)
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise ImproperlyConfigured(
            f"{name}: unknown key(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(keys)}")
    return {**defaults, **given}
