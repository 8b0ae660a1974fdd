"""The IAM evaluation the permission check relies on, against AWS's documented rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.iam_policy import Request, UnsupportedPolicy, allowed, matches

TABLE = "arn:aws:dynamodb:eu-west-2:123456789012:table/t"


def statement(**extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE} | extra


def leading(*keys: str) -> dict[str, tuple[str, ...]]:
    return {"dynamodb:LeadingKeys": keys}


def test_an_action_is_allowed_only_by_a_statement_that_names_it_and_its_resource() -> None:
    assert allowed([statement()], Request("dynamodb:GetItem", TABLE))
    assert allowed([statement()], Request("DynamoDB:getitem", TABLE))  # actions ignore case
    assert not allowed([statement()], Request("dynamodb:PutItem", TABLE))
    assert not allowed([statement()], Request("dynamodb:GetItem", TABLE + "/index/gsi1"))
    assert not allowed([], Request("dynamodb:GetItem", TABLE))  # implicit deny


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = statement(Effect="Deny")
    assert not allowed([statement(), deny], Request("dynamodb:GetItem", TABLE))


def test_leading_keys_for_all_values_must_all_match_and_an_absent_key_passes_as_aws_says() -> None:
    limited = statement(Condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["INCIDENT#*"]}})
    assert allowed([limited], Request("dynamodb:GetItem", TABLE, leading("INCIDENT#1")))
    assert not allowed([limited], Request("dynamodb:GetItem", TABLE, leading("INCIDENT#1", "ALERT#2")))
    # AWS: ForAllValues over a request without the key is true (why a Scan escapes LeadingKeys).
    assert allowed([limited], Request("dynamodb:GetItem", TABLE))


def test_if_exists_passes_without_the_key_and_checks_it_when_present() -> None:
    listing = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::docs",
        "Condition": {"StringLikeIfExists": {"s3:prefix": ["incidents/*"]}},
    }
    assert allowed([listing], Request("s3:ListBucket", "arn:aws:s3:::docs"))
    assert allowed([listing], Request("s3:ListBucket", "arn:aws:s3:::docs", {"s3:prefix": ("incidents/a",)}))
    assert not allowed([listing], Request("s3:ListBucket", "arn:aws:s3:::docs", {"s3:prefix": ("other/",)}))
    without = listing | {"Condition": {"StringLike": {"s3:prefix": ["incidents/*"]}}}
    assert not allowed([without], Request("s3:ListBucket", "arn:aws:s3:::docs"))


def test_string_equals_and_negated_operators() -> None:
    service = {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    passing = statement(Action="iam:PassRole", Resource="*", Condition=service)
    assert allowed(
        [passing], Request("iam:PassRole", "r", {"iam:PassedToService": ("scheduler.amazonaws.com",)})
    )
    assert not allowed(
        [passing], Request("iam:PassRole", "r", {"iam:PassedToService": ("lambda.amazonaws.com",)})
    )
    assert not allowed([passing], Request("iam:PassRole", "r"))
    negated = statement(Condition={"StringNotEquals": {"aws:SourceAccount": "1"}})
    assert allowed(
        [negated], Request("dynamodb:GetItem", TABLE)
    )  # a negated operator is true without the key


def test_an_operator_it_cannot_evaluate_is_an_error_never_a_pass() -> None:
    odd = statement(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})
    with pytest.raises(UnsupportedPolicy):
        allowed([odd], Request("dynamodb:GetItem", TABLE, {"aws:MultiFactorAuthAge": ("10",)}))


@given(st.text(alphabet="ab/:#-", max_size=12), st.text(alphabet="ab/:#-", max_size=12))
def test_wildcards_match_any_run_of_characters_and_nothing_else(prefix: str, rest: str) -> None:
    assert matches(f"{prefix}*", prefix + rest)
    assert matches(prefix, prefix)
    assert matches(prefix, prefix + rest) == (rest == "")
