"""Read a journeys file and check it, listing every problem with its journey, step and field.

File `vars` fill `${NAME}` placeholders when the file is loaded. A value can be overridden, most specific
first: an override passed in (incidentctl's --var NAME=VALUE), then an environment variable of the same
name, then the file's own value. Only names declared in `vars` are looked up in the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from incident_core.journeys.config import (
    VARIABLE_NAME,
    Expect,
    Fill,
    Journey,
    JourneySettings,
    JourneysFile,
    Request,
    Step,
)
from incident_core.journeys.templating import PLACEHOLDER, PlaceholderError, parse_placeholder, placeholders


@dataclass(frozen=True)
class Problem:
    message: str
    journey: str | None = None
    step: str | None = None
    field: str | None = None
    # (journey index, step index): problems are listed in file order.
    position: tuple[int, int] = dataclasses.field(default=(-1, -1), compare=False, repr=False)

    def __str__(self) -> str:
        where = [
            f"journey {self.journey}" if self.journey else "",
            f"step {self.step}" if self.step else "",
            f"field {self.field}" if self.field else "",
        ]
        place = ", ".join(part for part in where if part)
        return f"{place}: {self.message}" if place else self.message


class JourneyFileError(ValueError):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{listed}")


def load_journeys_file(
    path: str | Path, overrides: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> JourneysFile:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise JourneyFileError(str(path), [Problem(f"cannot read the file: {error.strerror}")]) from None
    return parse_journeys(text, str(path), overrides, environ)


def parse_journeys(
    text: str,
    source: str = "journeys file",
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> JourneysFile:
    from incident_core.yaml_safe import YamlInputError, load_yaml

    try:
        data = load_yaml(text, source)
    except YamlInputError as error:
        raise JourneyFileError(source, [Problem(str(error).removeprefix(f"{source}: "))]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise JourneyFileError(source, [Problem("the file must be a mapping with a `journeys:` list")])
    _check_counts(data, source)

    problems: list[Problem] = []
    data = _fill_vars(data, overrides or {}, os.environ if environ is None else environ, problems)
    problems += _structure_problems(data)
    problems += _cross_step_problems(data)
    if problems:
        raise JourneyFileError(source, sorted(_unique(problems), key=lambda p: p.position))
    return JourneysFile.model_validate(data)


def _check_counts(data: dict[str, Any], source: str, environ: Mapping[str, str] | None = None) -> None:
    """At most CONFIG_MAX_JOURNEYS journeys (default 200) of CONFIG_MAX_STEPS steps (default 50)."""
    environ = os.environ if environ is None else environ
    max_journeys = int(environ.get("CONFIG_MAX_JOURNEYS") or 200)
    max_steps = int(environ.get("CONFIG_MAX_STEPS") or 50)
    journeys = data.get("journeys")
    if not isinstance(journeys, list):
        return  # reported by the structure check
    if len(journeys) > max_journeys:
        raise JourneyFileError(
            source,
            [Problem(f"{len(journeys)} journeys, over the limit of {max_journeys} (CONFIG_MAX_JOURNEYS)")],
        )
    for journey in journeys:
        steps = journey.get("steps") if isinstance(journey, dict) else None
        if isinstance(steps, list) and len(steps) > max_steps:
            raise JourneyFileError(
                source,
                [
                    Problem(
                        f"{len(steps)} steps, over the limit of {max_steps} (CONFIG_MAX_STEPS)",
                        journey=str(journey.get("name") or "?"),
                    )
                ],
            )


def _fill_vars(
    data: dict[str, Any], overrides: Mapping[str, str], environ: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    declared = data.get("vars") or {}
    if not isinstance(declared, dict):
        return data  # reported by the model check
    values = {}
    for name, default in declared.items():
        value = overrides.get(name, environ.get(name, default))
        if isinstance(value, str) and PLACEHOLDER.search(value):
            problems.append(Problem("a vars value cannot hold a placeholder", field=f"vars.{name}"))
        values[str(name)] = value if isinstance(value, str) else str(value)
    for name in overrides:
        if name not in values:
            problems.append(Problem(f"{name} is given a value, but the file's vars does not declare it"))

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {**data, "vars": values, "journeys": fill(data.get("journeys"))} if "journeys" in data else data


# ---------------------------------------------------------------- structure: pydantic, all errors at once

_MODELS_BY_DEPTH = {
    (): JourneysFile,
    ("settings",): JourneySettings,
    ("journeys", int): Journey,
    ("journeys", int, "steps", int): Step,
    ("journeys", int, "steps", int, "request"): Request,
    ("journeys", int, "steps", int, "expect"): Expect,
    ("journeys", int, "steps", int, "fill"): Fill,
}


def _structure_problems(data: dict[str, Any]) -> list[Problem]:
    try:
        JourneysFile.model_validate(data)
    except ValidationError as error:
        return [_problem_from(e, data) for e in error.errors()]
    return []


def _problem_from(error: Any, data: dict[str, Any]) -> Problem:
    loc = list(error["loc"])
    journey = step = None
    position = (-1, -1)
    field_parts = loc
    if len(loc) >= 2 and loc[0] == "journeys" and isinstance(loc[1], int):
        journey = _label(data["journeys"], loc[1])
        position = (loc[1], -1)
        field_parts = loc[2:]
        if len(field_parts) >= 2 and field_parts[0] == "steps" and isinstance(field_parts[1], int):
            raw_journey = data["journeys"][loc[1]]
            step = _label(raw_journey.get("steps"), field_parts[1])
            position = (loc[1], field_parts[1])
            field_parts = field_parts[2:]
    # Union members and validator names (like "function-after[...]") are pydantic's, not the user's.
    field_parts = [p for p in field_parts if not (isinstance(p, str) and ("[" in p or p in ("str", "int")))]
    field = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in field_parts).replace(".[", "[")
    return Problem(_message(error, loc), journey=journey, step=step, field=field or None, position=position)


def _label(items: Any, index: int) -> str:
    """'name', or 'name' (#3) when the name is used twice, or #3 for an item without a name."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items or []]
    name = names[index] if index < len(names) else None
    if not isinstance(name, str) or not name:
        return f"#{index + 1}"
    return repr(name) if names.count(name) == 1 else f"{name!r} (#{index + 1})"


def _message(error: Any, loc: list[Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = tuple(int if isinstance(p, int) else p for p in loc[:-1])
        model = _MODELS_BY_DEPTH.get(parent)
        allowed = sorted(f.alias or name for name, f in model.model_fields.items()) if model else []
        return f"unknown key {loc[-1]!r}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if kind == "missing":
        return "required"
    if kind in ("model_type", "dict_type"):
        return "should be a mapping (key: value)"
    if kind == "list_type":
        return "should be a list"
    if kind == "too_short":
        return "needs at least one item"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


# ---------------------------------------------------------------- across steps: names and placeholders


def _cross_step_problems(data: dict[str, Any]) -> list[Problem]:
    journeys = data.get("journeys")
    if not isinstance(journeys, list):
        return []
    problems: list[Problem] = []
    seen_journeys: dict[str, int] = {}
    for index, raw in enumerate(journeys):
        if not isinstance(raw, dict):
            continue
        label = _label(journeys, index)
        name = raw.get("name")
        if isinstance(name, str):
            if name in seen_journeys:
                problems.append(
                    Problem(
                        f"the name is already used by journey #{seen_journeys[name] + 1}",
                        journey=label,
                        field="name",
                        position=(index, -1),
                    )
                )
            seen_journeys.setdefault(name, index)
        problems += _step_problems(raw.get("steps"), label, index)
    return problems


def _step_problems(steps: Any, journey: str, journey_index: int) -> list[Problem]:
    if not isinstance(steps, list):
        return []
    problems: list[Problem] = []
    saved: set[str] = set()
    seen_steps: dict[str, int] = {}
    for index, raw in enumerate(steps):
        if not isinstance(raw, dict):
            continue
        step = _label(steps, index)
        position = (journey_index, index)
        name = raw.get("name")
        if isinstance(name, str):
            if name in seen_steps:
                problems.append(
                    Problem(
                        f"the name is already used by step #{seen_steps[name] + 1}",
                        journey=journey,
                        step=step,
                        field="name",
                        position=position,
                    )
                )
            seen_steps.setdefault(name, index)
        for key, value in raw.items():
            if key in ("name", "save"):
                continue
            for where, inner in placeholders(value, key):
                problems += _placeholder_problems(inner, saved, Problem("", journey, step, where, position))
        save = raw.get("save")
        if isinstance(save, dict):
            saved |= {str(k) for k in save if isinstance(k, str) and VARIABLE_NAME.match(k)}
    return problems


def _placeholder_problems(inner: str, saved: set[str], where: Problem) -> list[Problem]:
    try:
        ref = parse_placeholder(inner)
    except PlaceholderError as error:
        return [replace(where, message=str(error))]
    if isinstance(ref, str) and ref not in saved:
        message = (
            f'${{{ref}}} is not defined: no earlier step saves it (save: {{{ref}: "$.path"}}) '
            "and vars does not declare it"
        )
        return [replace(where, message=message)]
    return []


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
