"""The cold-start yardstick: a minimal Powertools handler that creates one boto3 client.

Every function's cold start is compared with this one, measured in the same run (bench/coldstart.py).
"""

import boto3
from aws_lambda_powertools import Logger

logger = Logger()
dynamodb = boto3.client("dynamodb")


@logger.inject_lambda_context
def lambda_handler(event: dict, context: object) -> dict:
    return {"tables": dynamodb.meta.service_model.service_name}
