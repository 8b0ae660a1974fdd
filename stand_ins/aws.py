"""AWS emulated locally by moto server, with the suite's tables created from template.yaml."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_REGION": "eu-west-2",
}


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, keeping intrinsic functions (!Ref, !Sub, ...) as plain values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"Fn::{suffix}" if suffix not in ("Ref", "Condition") else suffix: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)


def table_definitions(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """CreateTable arguments for every AWS::DynamoDB::Table in the template, keyed by logical id."""
    template = template or load_template()
    definitions = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        args = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if "GlobalSecondaryIndexes" in props:
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        definitions[logical_id] = args
    return definitions


def create_tables(dynamodb: Any, names: dict[str, str]) -> None:
    """Create the template's tables under the given names ({logical id: table name})."""
    for logical_id, args in table_definitions().items():
        dynamodb.create_table(TableName=names[logical_id], **args)
        ttl = load_template()["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=names[logical_id], TimeToLiveSpecification=ttl)


# A limitation of moto, not of DynamoDB: DynamoDB runs each request, and each transaction, in isolation,
# but moto's DynamoDB backend does not when requests arrive on several threads at once (its threaded
# server serves each request on its own thread). A TransactWriteItems that is cancelled even restores a
# copy of the whole table taken before it started, wiping other requests' writes made meanwhile. One
# lock around the backend's operations gives moto the isolation the real service has, so concurrent
# callers (racing Slack clicks, racing runners) test our code rather than moto's.
_DYNAMODB_LOCK = threading.RLock()
_DYNAMODB_OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)


def isolate_moto_dynamodb() -> None:
    """Make moto's DynamoDB run one operation at a time, as DynamoDB's isolation promises. It patches
    moto's backend class, so it holds for the whole process (a server's threads and mock_aws alike);
    calling it again does nothing."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_isolated_by_stand_ins", False):
        return
    for name in _DYNAMODB_OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def isolated(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _DYNAMODB_LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, isolated)
    DynamoDBBackend._isolated_by_stand_ins = True


class MotoServer:
    """moto's threaded server on 127.0.0.1; `env` points boto3 at it.

    `isolate_dynamodb` (default on) serialises moto's DynamoDB operations (see isolate_moto_dynamodb):
    without it, concurrent requests can see each other's half-done transactions, which DynamoDB never
    allows."""

    def __init__(self, port: int = 0, *, isolate_dynamodb: bool = True) -> None:
        from moto.server import ThreadedMotoServer

        if isolate_dynamodb:
            isolate_moto_dynamodb()
        from stand_ins.cloudwatch_images import install_metric_widget_images

        install_metric_widget_images()  # moto has no GetMetricWidgetImage: the stand-in draws it
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def start(self) -> MotoServer:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.url}

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")).read()
