"""The protocol's two checks: loading a factory by name and validating a model's answer."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping

OUTCOME_KEYS = ("delivered", "deferred", "blocked", "hard_bounced", "complaints")


class ModelProtocolError(ValueError):
    """A model answered something the protocol does not allow."""


def check_outcome(
    messages: int,
    outcome: object,
    *,
    model: str | None = None,
    day: int | None = None,
    hour: int | None = None,
) -> dict[str, int]:
    """The answer as plain ints, or ModelProtocolError naming the model, the hour and the
    broken invariant. Keys beyond the protocol's are ignored."""
    where = []
    if model:
        where.append(f"model {model}")
    if day is not None:
        where.append(f"day {day}" + (f" hour {hour}" if hour is not None else ""))
    prefix = (", ".join(where) + ": ") if where else ""

    def fail(problem: str) -> ModelProtocolError:
        return ModelProtocolError(f"{prefix}{problem} (offered {messages})")

    if not isinstance(outcome, Mapping):
        raise fail(f"offer() must return a dict, not {type(outcome).__name__}")
    missing = [key for key in OUTCOME_KEYS if key not in outcome]
    if missing:
        raise fail(f"the answer lacks {', '.join(missing)}")
    keys = OUTCOME_KEYS + (("spam",) if "spam" in outcome else ())
    counts = {}
    for key in keys:
        value = outcome[key]
        if type(value) is not int:
            raise fail(f"{key} must be an integer, not {value!r}")
        if value < 0:
            raise fail(f"{key} must not be negative, not {value}")
        counts[key] = value
    total = sum(counts[key] for key in ("delivered", "deferred", "blocked", "hard_bounced"))
    if total != messages:
        raise fail(f"delivered + deferred + blocked + hard_bounced is {total}, not {messages}")
    if counts["complaints"] > counts["delivered"]:
        raise fail(f"complaints ({counts['complaints']}) exceed delivered ({counts['delivered']})")
    if counts.get("spam", 0) > counts["delivered"]:
        raise fail(f"spam ({counts['spam']}) exceeds delivered ({counts['delivered']})")
    return counts


_FACTORY_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_model_factory(path: str) -> Callable[[str, int], object]:
    """Import `package.module:callable`; ValueError naming what is wrong."""
    if not isinstance(path, str) or not _FACTORY_PATH.match(path.strip()):
        raise ValueError(
            f"{path!r} is not a model factory name: write package.module:callable "
            "(e.g. ips.provider_model:default_model)"
        )
    module_name, _, attribute = path.strip().partition(":")
    try:
        target = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ValueError(f"model factory {path!r}: no module named {exc.name!r}") from None
        raise ValueError(f"model factory {path!r}: importing {module_name} failed: {exc}") from exc
    except Exception as exc:  # the module itself is broken: say so rather than crash later
        raise ValueError(f"model factory {path!r}: importing {module_name} failed: {exc}") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(f"model factory {path!r}: {module_name} has no attribute {part!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(
            f"model factory {path!r}: {attribute} is a {type(target).__name__}, not a callable"
        )
    return target
