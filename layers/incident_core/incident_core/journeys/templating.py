"""`${...}` placeholders in journey steps: saved values, and secrets read at run time.

- `${name}`: a value an earlier step saved (`save: {name: "$.id"}`), or a file `vars` entry (those are
  filled in when the file is loaded, see loader.py).
- `${secret:incident-suite/journeys/shop-login#password}`: a field of a JSON secret in Secrets Manager
  (without `#field`, the whole secret string).
- `${ssm:/incident-suite/journeys/api-key}`: an SSM parameter (SecureString is decrypted).

Secrets never sit in the file, and every value a run resolved is masked in what it records.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from incident_core.journeys.faults import RunnerFault
from incident_core.journeys.redact import Redactor

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# The runner's IAM policy may read only these (template.yaml); a ref elsewhere could never work.
SECRET_PREFIX = "incident-suite/journeys/"
SSM_PREFIX = "/incident-suite/journeys/"
SECRET_MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class SecretRef:
    store: Literal["secret", "ssm"]
    name: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.store}:{self.name}" + (f"#{self.field}" if self.field else "")


class PlaceholderError(ValueError):
    pass


class SecretUnreadable(RunnerFault):
    """Secrets Manager or SSM would not give a secret (missing, no permission, AWS unreachable): a fault
    of the suite's set-up, not of the site, so the step is a runner fault."""


def parse_placeholder(inner: str) -> SecretRef | str:
    """The text between `${` and `}`: a SecretRef, or the name of a variable."""
    if inner.startswith("secret:"):
        name, _, field = inner.removeprefix("secret:").partition("#")
        if not name.startswith(SECRET_PREFIX) or name == SECRET_PREFIX:
            raise PlaceholderError(
                f"${{{inner}}}: secrets must be under {SECRET_PREFIX} (the runner may read only those)"
            )
        return SecretRef("secret", name, field or None)
    if inner.startswith("ssm:"):
        name = inner.removeprefix("ssm:")
        if not name.startswith(SSM_PREFIX) or name == SSM_PREFIX:
            raise PlaceholderError(
                f"${{{inner}}}: SSM parameters must be under {SSM_PREFIX} (the runner may read only those)"
            )
        return SecretRef("ssm", name)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", inner):
        raise PlaceholderError(
            f"${{{inner}}} is not a placeholder: use ${{name}}, ${{secret:{SECRET_PREFIX}...#field}} "
            f"or ${{ssm:{SSM_PREFIX}...}}"
        )
    return inner


def placeholders(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, inner text) of every placeholder in a nested value; `where` is a dotted path."""
    if isinstance(value, str):
        for inner in PLACEHOLDER.findall(value):
            yield path, inner
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from placeholders(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from placeholders(item, f"{path}[{index}]")


class SecretResolver(Protocol):
    def resolve(self, ref: SecretRef) -> str: ...


class PowertoolsSecrets:
    """Secrets Manager and SSM through Powertools Parameters (cached per container for 5 minutes)."""

    def __init__(self) -> None:
        # Journeys run in threads; Powertools creates its boto3 clients on first use, and boto3
        # client creation is not thread-safe.
        self._lock = threading.Lock()

    def resolve(self, ref: SecretRef) -> str:
        from aws_lambda_powertools.utilities import parameters

        with self._lock:
            if ref.store == "ssm":
                return str(parameters.get_parameter(ref.name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS))
            if ref.field is None:
                return str(parameters.get_secret(ref.name, max_age=SECRET_MAX_AGE_SECONDS))
            secret = parameters.get_secret(ref.name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
        if not isinstance(secret, dict) or ref.field not in secret:
            raise KeyError(f"secret {ref.name!r} has no {ref.field!r} field")
        return str(secret[ref.field])


class StaticSecrets:
    """Secrets from a mapping {"secret:name#field" or "ssm:/name": value}: local runs and unit tests."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def resolve(self, ref: SecretRef) -> str:
        try:
            return self.values[str(ref)]
        except KeyError:
            raise KeyError(f"no value for {ref}") from None


class Renderer:
    """Fills placeholders for one journey run, remembering secrets (in `redactor`) so they can be masked."""

    def __init__(self, secrets: SecretResolver) -> None:
        self._secrets = secrets
        self.saved: dict[str, Any] = {}
        self.redactor = Redactor()
        self.used_secret = False  # a value from Secrets Manager or SSM was filled in

    def render(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value)
            if whole:
                # "${book_id}" alone keeps the saved value's JSON type (a number stays a number).
                return self._value(whole.group(1))
            return PLACEHOLDER.sub(lambda m: _as_text(self._value(m.group(1))), value)
        if isinstance(value, dict):
            return {self.render(k): self.render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(item) for item in value]
        return value

    def text(self, value: str) -> str:
        return _as_text(self.render(value))

    def _value(self, inner: str) -> Any:
        ref = parse_placeholder(inner)
        if isinstance(ref, str):
            if ref not in self.saved:
                raise PlaceholderError(f"${{{ref}}} has no value: no earlier step saved it")
            return self.saved[ref]
        try:
            value = self._secrets.resolve(ref)
        except Exception as error:
            raise SecretUnreadable(f"could not read {ref}: {_short_error(error)}") from None
        self.redactor.add(value)
        self.used_secret = True
        return value

    def declared(self, value: str) -> str:
        """`value` as the journey declares it, for the record: saved values filled in, each secret shown
        by its name (`[secret:incident-suite/journeys/shop#key]`), never by its value in any form."""

        def shown(match: re.Match[str]) -> str:
            try:
                ref = parse_placeholder(match.group(1))
            except PlaceholderError:
                return match.group(0)
            if isinstance(ref, SecretRef):
                return f"[{ref}]"
            return _as_text(self.saved[ref]) if ref in self.saved else match.group(0)

        return PLACEHOLDER.sub(shown, value)

    def redact(self, text: str) -> str:
        return self.redactor.text(text)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _short_error(error: Exception) -> str:
    return str(error).strip().strip("'\"") or type(error).__name__
