"""The per-provider part of the domain warm-up plan, read from a TOML data file
(domains/warmup_plan.toml, or WARMUP_DOMAIN_PLAN_FILE): maintenance volume, the re-warm
threshold and the limits of the customer's own mail. A `[default]` table, and a
`[providers.<slug>]` table for each provider that differs; a provider without one gets the
defaults. The rule itself (domains/warmup_rule.py) receives plain `ProviderRules` values."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

from domains.warmup_rule import ProviderRules

_TYPES = {f.name: (int if f.type in ("int", int) else float) for f in fields(ProviderRules)}
DEFAULT = "default"


def _values(table: object, where: str, path: Path) -> dict:
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [{where}] must be a table")
    unknown = sorted(set(table) - set(_TYPES))
    if unknown:
        raise ValueError(
            f"{path}: [{where}] has unknown keys: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_TYPES))})"
        )
    values = {}
    for key, value in table.items():
        kind = _TYPES[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{path}: [{where}] {key} must be a number, not {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"{path}: [{where}] {key} must be a whole number, not {value!r}")
        if value < 0 or (key.endswith(("_days", "_messages")) and value < 1):
            raise ValueError(f"{path}: [{where}] {key} is out of range: {value!r}")
        values[key] = kind(value)
    return values


def load_rules(path: Path) -> dict[str, ProviderRules]:
    """Every provider's rules by slug, and the defaults under "default". ValueError naming the
    file, the table and the key when something is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read the warm-up plan file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {DEFAULT, "providers"})
    if unknown:
        raise ValueError(f"{path}: unknown tables {', '.join(unknown)} (default, providers)")
    default = _values(data.get(DEFAULT, {}), DEFAULT, path)
    rules = {DEFAULT: ProviderRules(**default)}
    for slug, table in (data.get("providers") or {}).items():
        rules[slug] = ProviderRules(**{**default, **_values(table, f"providers.{slug}", path)})
    return rules


def rules_for(path: Path, slug: str) -> ProviderRules:
    """One provider's rules (cached per file version)."""
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    rules = _cached(str(path), stamp)
    return rules.get(slug) or rules[DEFAULT]


@lru_cache(maxsize=4)
def _cached(path: str, _stamp: int) -> dict[str, ProviderRules]:
    return load_rules(Path(path))
