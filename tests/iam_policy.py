"""IAM identity-policy evaluation, as AWS documents it, for the permission check (tests/iam_guard.py).

An explicit Deny wins, then any Allow, else the request is implicitly denied. Actions match without
regard to case, resources with `*` and `?` wildcards. Conditions: the string, ARN, Bool and Null
operators with the `IfExists` suffix and the `ForAllValues:` / `ForAnyValue:` set qualifiers. As in
AWS, `ForAllValues` over a key the request does not have is true, which is why a Scan cannot be
limited by `dynamodb:LeadingKeys`. An operator this module does not know is an error, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Request:
    """One authorisation AWS makes: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)

    def key(self, name: str) -> tuple[str, ...] | None:
        for key, values in self.context.items():
            if key.lower() == name.lower():
                return values
        return None


class UnsupportedPolicy(ValueError):
    """A policy element the checker cannot evaluate faithfully (so it refuses to guess)."""


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(glob: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_pattern(glob, ignore_case).match(value))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _compare(base: str, wanted: str, value: str) -> bool:
    if base in ("StringEquals", "ArnEquals"):
        return value == wanted if base == "StringEquals" else matches(wanted, value)
    if base == "StringEqualsIgnoreCase":
        return value.lower() == wanted.lower()
    if base in ("StringLike", "ArnLike"):
        return matches(wanted, value)
    if base == "Bool":
        return value.lower() == str(wanted).lower()
    raise UnsupportedPolicy(f"condition operator {base!r} is not supported by the permission check")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(operator: str, key: str, wanted: Any, request: Request) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = request.key(key)
    wanted_values = [str(w) for w in _as_list(wanted)]
    if base == "Null":
        return (values is None or not values) == (wanted_values[0].lower() == "true")
    negated = base in _NEGATED
    positive = _NEGATED.get(base, base)

    def one(value: str) -> bool:
        hit = any(_compare(positive, w, value) for w in wanted_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values or ())
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values or ())
    if qualifier:
        raise UnsupportedPolicy(f"condition qualifier {qualifier!r} is not supported")
    if not values:
        # A missing key: no match, except that IfExists and negated operators are then true.
        return if_exists or negated
    return any(one(v) for v in values)


def statement_applies(statement: dict[str, Any], request: Request) -> bool:
    unknown = set(statement) - {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
    if unknown:
        raise UnsupportedPolicy(f"statement elements {sorted(unknown)} are not supported")
    if "Action" in statement:
        if not any(matches(a, request.action, ignore_case=True) for a in _as_list(statement["Action"])):
            return False
    elif any(matches(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(matches(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif any(matches(r, request.resource) for r in _as_list(statement.get("NotResource", []))):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, wanted in keys.items():
            if not condition_holds(operator, key, wanted, request):
                return False
    return True


def allowed(statements: list[dict[str, Any]], request: Request) -> bool:
    applying = [s for s in statements if statement_applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)
