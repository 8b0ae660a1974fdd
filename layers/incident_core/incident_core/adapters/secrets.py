"""Secrets from Secrets Manager (JSON secrets), cached per container by Powertools Parameters."""

from __future__ import annotations

from typing import Any

from incident_core.adapters.aws import client

SECRET_MAX_AGE_SECONDS = 300


def secrets_provider() -> Any:
    """Powertools' secrets provider, over the suite's own Secrets Manager client (adapters.aws).

    Left to itself, Powertools makes its client in a boto3 session of its own, so a container that also
    makes other clients (the Slack app's Lambda client for lazy listeners, the stores' DynamoDB client)
    loads boto3's endpoint and model data twice: about 0.1 s of a cold start. Registered as Powertools'
    default provider, so parameters.get_secret and parameters.clear_caches see the same one."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider

    current = client("secretsmanager")
    provider = DEFAULT_PROVIDERS.get("secrets")
    if provider is None or provider.client is not current:
        provider = DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=current)
    return provider


def get_json_secret(secret_id: str) -> dict[str, Any]:
    value = secrets_provider().get(secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {secret_id!r} must be a JSON object")
    return value


def get_secret_field(secret_id: str, field: str) -> str:
    secret = get_json_secret(secret_id)
    if not secret.get(field):
        raise KeyError(f"secret {secret_id!r} has no {field!r} field")
    return str(secret[field])
