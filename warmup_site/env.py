"""Strict readers for settings that come from the environment.

A typo in a deployment's environment should stop the process at start-up with a message that
names the variable, not silently fall back to a default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """The variable's value, stripped; set but blank counts as unset (as in `DATABASE_URL= make
    test`), like every other reader here."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _env_number(name, default, minimum, cast, kind):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, minimum, int, "a whole number")


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    return _env_number(name, default, minimum, float, "a number")


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int_list(
    name: str, default: str, *, minimum: int = 0, length: int | None = None
) -> list[int]:
    """A comma-separated list of whole numbers ("5,8,12"), each at least `minimum`."""
    items = env_list(name, default)
    try:
        values = [int(item) for item in items]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be comma-separated whole numbers, not {env_str(name, default)!r}."
        ) from None
    if not values or any(value < minimum for value in values):
        raise ImproperlyConfigured(f"{name} needs whole numbers of at least {minimum}: {values}.")
    if length is not None and len(values) != length:
        raise ImproperlyConfigured(f"{name} needs exactly {length} numbers, not {values}.")
    return values


def env_map(name: str, default: str = "") -> dict[str, str]:
    """Comma-separated `key=value` pairs ("complaint_rate=0.002,min_volume=200"); the values
    stay strings for the setting's own validation (a system check)."""
    pairs: dict[str, str] = {}
    for item in env_list(name, default):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(
                f"{name} needs key=value pairs separated by commas, not {item!r}."
            )
        pairs[key.strip()] = value.strip()
    return pairs
