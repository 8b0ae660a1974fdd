"""Secrets from Secrets Manager (JSON secrets), cached per container by Powertools Parameters."""

from __future__ import annotations

from typing import Any

SECRET_MAX_AGE_SECONDS = 300


def get_json_secret(secret_id: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {secret_id!r} must be a JSON object")
    return value


def get_secret_field(secret_id: str, field: str) -> str:
    secret = get_json_secret(secret_id)
    if not secret.get(field):
        raise KeyError(f"secret {secret_id!r} has no {field!r} field")
    return str(secret[field])
