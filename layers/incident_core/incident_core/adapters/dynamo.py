"""The suite's single DynamoDB table: key helpers and (de)serialisation over the low-level client.

The low-level client is used instead of the resource API because the resource model costs ~100 ms of
cold start. Access patterns and keys are documented in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from incident_core.adapters.aws import client

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in data.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def model_item(model: BaseModel, **keys: Any) -> dict[str, Any]:
    """A model as a DynamoDB item (JSON-mode dump: datetimes as ISO-8601 strings, which sort)."""
    return serialize({**model.model_dump(mode="json"), **keys})


class Table:
    """Thin helper over one table; repositories (one per aggregate) build on it."""

    def __init__(self, name: str, dynamodb: Any | None = None) -> None:
        self.name = name
        self._dynamodb = dynamodb

    @property
    def dynamodb(self) -> Any:
        if self._dynamodb is None:
            self._dynamodb = client("dynamodb")
        return self._dynamodb

    def put_new(self, item: dict[str, Any]) -> bool:
        """Write the item only if its key is not taken; False when it was (a retry finds its own write)."""
        try:
            self.dynamodb.put_item(
                TableName=self.name, Item=serialize(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    def get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.name, Key=serialize({"pk": pk, "sk": sk}), ConsistentRead=consistent
        )
        item = response.get("Item")
        return deserialize(item) if item else None

    def query(
        self,
        pk: str,
        sk_prefix: str | None = None,
        *,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        sk_between: tuple[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """All items of a partition (optionally by sort-key prefix or range), following pagination."""
        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index == "gsi1" else ("pk", "sk")
        expression = f"{pk_name} = :pk"
        values: dict[str, Any] = {":pk": pk}
        if sk_prefix is not None:
            expression += f" AND begins_with({sk_name}, :prefix)"
            values[":prefix"] = sk_prefix
        elif sk_between is not None:
            expression += f" AND {sk_name} BETWEEN :low AND :high"
            values[":low"], values[":high"] = sk_between
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        returned = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - returned
            page = self.dynamodb.query(**kwargs)
            for item in page.get("Items", []):
                returned += 1
                yield deserialize(item)
            if "LastEvaluatedKey" not in page or (limit is not None and returned >= limit):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def condition_failed(error: Exception) -> bool:
    """Was this a conditional write DynamoDB refused (the item was not as the condition said)?"""
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code == "ConditionalCheckFailedException"
