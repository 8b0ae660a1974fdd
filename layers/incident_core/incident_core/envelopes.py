"""The AWS envelopes the functions read: an EventBridge event, an SNS record, a CloudFormation custom
resource request.

The same fields, aliases and validators as Powertools' parser models (aws_lambda_powertools.utilities.
parser.models: event_bridge, sns, cloudformation_custom_resource), defined here because importing those
loads the parser utility (its envelopes, TypeAdapter machinery and network types): about 0.1-0.2 s of
every cold start, for a few small models. tests/unit/test_envelopes.py holds them to Powertools' behaviour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.networks import HttpUrl


class EventBridgeModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any] | type[BaseModel] | BaseModel
    replay_name: str | None = Field(None, alias="replay-name")

    @field_validator("detail", mode="before")
    @classmethod
    def scheduler_empty_detail(cls, value: Any, info: ValidationInfo) -> Any:
        # EventBridge Scheduler sends an empty payload as the string '{}'.
        return {} if info.data.get("source") == "aws.scheduler" and value == "{}" else value


class SnsMsgAttributeModel(BaseModel):
    Type: str
    Value: str


class SnsNotificationModel(BaseModel):
    Subject: str | None = None
    TopicArn: str
    UnsubscribeUrl: HttpUrl
    Type: Literal["Notification"]
    MessageAttributes: dict[str, SnsMsgAttributeModel] | None = None
    Message: str | type[BaseModel]
    MessageId: str
    SigningCertUrl: HttpUrl | None = None  # absent when FIFO is opted into
    Signature: str | None = None
    Timestamp: datetime
    SignatureVersion: str | None = None

    @model_validator(mode="before")
    @classmethod
    def sqs_spelling(cls, values: Any) -> Any:
        # SNS-to-SQS payloads spell these URL keys in capitals.
        if isinstance(values, dict) and any(key in ("UnsubscribeURL", "SigningCertURL") for key in values):
            values["UnsubscribeUrl"] = values.pop("UnsubscribeURL", None)
            values["SigningCertUrl"] = values.pop("SigningCertURL", None)
        return values


class SnsRecordModel(BaseModel):
    EventSource: Literal["aws:sns"]
    EventVersion: str
    EventSubscriptionArn: str
    Sns: SnsNotificationModel


class CloudFormationCustomResourceBaseModel(BaseModel):
    request_type: str = Field(alias="RequestType")
    service_token: str = Field(alias="ServiceToken")
    response_url: HttpUrl = Field(alias="ResponseURL")
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    resource_type: str = Field(alias="ResourceType")
    resource_properties: dict[str, Any] | BaseModel | None = Field(None, alias="ResourceProperties")


class CloudFormationCustomResourceCreateModel(CloudFormationCustomResourceBaseModel):
    request_type: Literal["Create"] = Field(alias="RequestType")


class CloudFormationCustomResourceDeleteModel(CloudFormationCustomResourceBaseModel):
    request_type: Literal["Delete"] = Field(alias="RequestType")
    physical_resource_id: str = Field(alias="PhysicalResourceId")


class CloudFormationCustomResourceUpdateModel(CloudFormationCustomResourceBaseModel):
    request_type: Literal["Update"] = Field(alias="RequestType")
    physical_resource_id: str = Field(alias="PhysicalResourceId")
    old_resource_properties: dict[str, Any] | BaseModel | None = Field(None, alias="OldResourceProperties")
