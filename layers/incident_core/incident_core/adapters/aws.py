"""boto3 clients, created lazily and once per container.

Clients are made on first use rather than at import: a function pays only for the clients its
invocation needs, which keeps cold starts close to a bare handler's. They all come from boto3's one
default session, so botocore's loader (endpoints, partitions, service models) is read once per container;
a library that would make a session of its own is handed one of these clients instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # deferred: tests point AWS_ENDPOINT_URL at moto before the first client exists

    return boto3.client(service)


def idempotency_store(table_name: str, dynamodb: Any = None) -> Any:
    """Powertools' DynamoDB idempotency store on this container's DynamoDB client (or the `dynamodb` client
    given, e.g. one with the router's short timeouts). Left to itself it makes a boto3 session of its own,
    and botocore reads all its data a second time (0.1-0.5 s of a cold start)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb or client("dynamodb"))


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials between cases)."""
    client.cache_clear()
