"""The cold-start yardstick: a minimal Powertools handler that creates one boto3 client.

Every function's cold start is compared with this one, measured in the same run (bench/cold_starts.py):
its import (the client is made here, at import), and its first invocation, one DynamoDB GetItem.
"""

import os

import boto3
from aws_lambda_powertools import Logger

logger = Logger()
dynamodb = boto3.client("dynamodb")


@logger.inject_lambda_context
def lambda_handler(event: dict, context: object) -> dict:
    item = dynamodb.get_item(
        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "BASELINE"}, "sk": {"S": "ITEM"}}
    ).get("Item")
    return {"found": item is not None}
