"""boto3 clients, created lazily and once per container.

Clients are made on first use rather than at import: a function pays only for the clients its
invocation needs, which keeps cold starts close to a bare handler's.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # deferred: tests point AWS_ENDPOINT_URL at moto before the first client exists

    return boto3.client(service)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials between cases)."""
    client.cache_clear()
