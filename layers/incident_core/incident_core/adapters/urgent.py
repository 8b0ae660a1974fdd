"""Urgent pages by SMS or e-mail, through the suite's UrgentTopic (SNS).

Each person's phone and e-mail are subscribed to the topic with a filter policy on the `person` message
attribute (`incidentctl policy subscribe` sets that up from the policy file), so one publish reaches
exactly one person, on every channel they have.
"""

from __future__ import annotations

from typing import Any

from incident_core.adapters.aws import client

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


class SnsUrgentNotifier:
    """An `UrgentOps` (incident_core.paging.delivery) over SNS."""

    def __init__(self, topic_arn: str, sns_client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = sns_client

    def notify(self, person: str, subject: str, message: str) -> str:
        """Publish to one person (the subscriptions' filter on `person`); return the message id."""
        sns = self._client or client("sns")
        response = sns.publish(
            TopicArn=self.topic_arn,
            Subject=_subject(subject),
            Message=message,
            MessageAttributes={"person": {"DataType": "String", "StringValue": person}},
        )
        return response["MessageId"]


def _subject(text: str) -> str:
    # SNS subjects: ASCII printable, no line breaks, at most 100 characters.
    cleaned = "".join(ch for ch in text if 32 <= ord(ch) < 127)
    return cleaned[:SUBJECT_LIMIT] or "Incident alert"


def subscription_filter(person: str) -> dict[str, list[str]]:
    return {"person": [person]}
