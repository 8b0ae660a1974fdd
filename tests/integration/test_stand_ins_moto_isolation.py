"""The MotoServer stand-in gives moto's DynamoDB the isolation DynamoDB has (stand_ins.aws).

Without it (a limitation of moto, not of DynamoDB), a transaction cancelled on one thread restores a copy
of the table taken before it started, wiping writes other threads made meanwhile, and can leave half of
itself applied: tests of our conditional writes would then test moto's races instead of our code.
"""

import threading

import boto3

from stand_ins.aws import MotoServer

TABLE = "incident-suite-test"
WRITERS, WRITES, CANCELLERS = 3, 80, 2


def test_concurrent_writes_survive_cancelled_transactions(aws):
    def dynamodb():
        return boto3.client("dynamodb", endpoint_url=aws.url)

    def write(writer: int) -> None:
        client = dynamodb()
        for n in range(WRITES):
            client.put_item(TableName=TABLE, Item={"pk": {"S": f"WRITE#{writer}#{n}"}, "sk": {"S": "X"}})

    def cancel() -> None:
        client = dynamodb()
        for n in range(WRITES):
            try:
                client.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"HALF#{n}"}, "sk": {"S": "X"}}}},
                        {
                            "Put": {
                                "TableName": TABLE,
                                "Item": {"pk": {"S": "NEVER"}, "sk": {"S": "X"}},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                    ]
                )
            except client.exceptions.TransactionCanceledException:
                continue

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=cancel) for _ in range(CANCELLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    keys = [item["pk"]["S"] for item in dynamodb().scan(TableName=TABLE)["Items"]]
    assert sum(key.startswith("WRITE#") for key in keys) == WRITERS * WRITES  # none wiped
    assert [key for key in keys if key.startswith(("HALF#", "NEVER"))] == []  # none half-applied


def test_isolation_is_on_by_default_and_process_wide():
    from moto.dynamodb.models import DynamoDBBackend

    MotoServer()  # constructing one is enough: the tests' session server did the same
    assert DynamoDBBackend._isolated_by_stand_ins is True
    assert DynamoDBBackend.transact_write_items.__wrapped__.__module__ == "moto.dynamodb.models"
