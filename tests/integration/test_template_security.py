"""The template's security review, from the translated CloudFormation: least-privilege IAM, encryption at
rest, nothing public that need not be. (cfn-lint and checkov run in `make validate`; these pin the rules.)"""

from __future__ import annotations

from typing import Any

from tests.template_translate import (
    BROWSER_TEMPLATE,
    as_list,
    function_of,
    of_type,
    ref_name,
    sam_template,
    statements,
    translated,
)

T = translated()

# Resource "*" is allowed only for actions that support no resource-level permissions (IAM's Service
# Authorization Reference), each with the reason.
WILDCARD_RESOURCE_REASONS = {
    "cloudformation:ListStacks": "lists the account's stacks (names, times, statuses): 'was there a deploy?'",
    "cloudwatch:GetMetricWidgetImage": "draws metric graphs: the incident window's pictures",
    "cloudtrail:LookupEvents": "the account's event history (no resource-level permissions): 'what changed?'",
}
# Managed policies SAM attaches; everything else is inline, with named resources.
ALLOWED_MANAGED_POLICIES = {
    # SAM's default for every function: logs:CreateLogGroup/CreateLogStream/PutLogEvents. Its Resource "*"
    # is AWS's; the only group any function logs to is the suite's (Globals LoggingConfig).
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
}
# Function URLs open to the internet, with the reason each is safe.
PUBLIC_FUNCTION_URLS = {
    "SlackAppFunction": "Slack cannot sign AWS requests; the handler checks every request's Slack signature "
    "(HMAC-SHA256 with the signing secret, at most 5 minutes old) and answers 401 before anything else runs.",
    "PageAckFunction": "A phone's browser cannot sign AWS requests; each link is an HMAC-SHA256 token for "
    "one alert, page and person that expires, acts once, and GET changes nothing (functions/page_ack).",
    "TrackerWebhookFunction": "GitHub cannot sign AWS requests; the handler checks every delivery's "
    "X-Hub-Signature-256 (HMAC-SHA256 with the webhook secret) and answers 401 before anything else runs.",
}


def allow_statements() -> list[tuple[str, dict[str, Any]]]:
    return [(where, s) for where, s in statements(T) if s["Effect"] == "Allow"]


def test_no_statement_allows_a_wildcard_action() -> None:
    for where, statement in allow_statements():
        assert "NotAction" not in statement, where
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{where}: {action}"


def test_deny_statements_only_narrow_access_over_plain_http() -> None:
    # A Deny may use a wildcard action: it takes permissions away (the TLS-only idiom), never grants them.
    for where, statement in statements(T):
        if statement["Effect"] == "Deny":
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, where


def test_wildcard_resources_only_where_the_action_has_no_resource_or_in_a_key_policy() -> None:
    keys = set(of_type(T, "AWS::KMS::Key"))
    for where, statement in allow_statements():
        if "*" not in as_list(statement.get("Resource", [])):
            continue
        if where in keys:
            continue  # in a key policy, Resource "*" means the key itself
        for action in as_list(statement["Action"]):
            assert action in WILDCARD_RESOURCE_REASONS, f"{where}: {action} on Resource '*'"


def test_no_statement_names_a_wildcard_principal_without_limiting_conditions() -> None:
    for where, statement in allow_statements():
        principal = statement.get("Principal")
        if principal in ("*", {"AWS": "*"}):
            conditions = statement.get("Condition", {}).get("StringEquals", {})
            assert {"kms:CallerAccount", "kms:ViaService"} <= set(conditions), where


def test_roles_use_only_the_basic_execution_managed_policy_and_are_assumed_only_by_services() -> None:
    for name, role in of_type(T, "AWS::IAM::Role").items():
        properties = role["Properties"]
        assert set(properties.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name
        for statement in properties["AssumeRolePolicyDocument"]["Statement"]:
            assert set(statement["Principal"]) == {"Service"}, name


def test_tables_are_encrypted_with_the_suite_key_and_recoverable() -> None:
    for name, table in of_type(T, "AWS::DynamoDB::Table").items():
        properties = table["Properties"]
        sse = properties["SSESpecification"]
        assert (sse["SSEEnabled"], sse["SSEType"], ref_name(sse["KMSMasterKeyId"])) == (
            True,
            "KMS",
            "SuiteKey",
        ), name
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name


def test_queues_and_topics_are_encrypted_at_rest() -> None:
    for name, queue in of_type(T, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        # SQS-managed keys where EventBridge or Scheduler deliver dead letters (no key policy needed).
        assert ref_name(properties.get("KmsMasterKeyId")) == "SuiteKey" or properties.get(
            "SqsManagedSseEnabled"
        ), name
    for name, topic in of_type(T, "AWS::SNS::Topic").items():
        assert ref_name(topic["Properties"].get("KmsMasterKeyId")) == "SuiteKey", name


def test_buckets_are_encrypted_private_and_tls_only() -> None:
    policies = {ref_name(p["Properties"]["Bucket"]): p for p in of_type(T, "AWS::S3::BucketPolicy").values()}
    for name, bucket in of_type(T, "AWS::S3::Bucket").items():
        properties = bucket["Properties"]
        [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", name
        assert ref_name(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "SuiteKey", name
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name  # fmt: skip
        deny = [
            s
            for s in as_list(policies[name]["Properties"]["PolicyDocument"]["Statement"])
            if s["Effect"] == "Deny"
        ]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny), name


def test_secrets_log_groups_and_function_environments_use_the_suite_key() -> None:
    for name, secret in of_type(T, "AWS::SecretsManager::Secret").items():
        assert ref_name(secret["Properties"]["KmsKeyId"]) == "SuiteKey", name
    for name, group in of_type(T, "AWS::Logs::LogGroup").items():
        assert ref_name(group["Properties"]["KmsKeyId"]) == "SuiteKey", name
        assert group["Properties"]["RetentionInDays"] > 0, name
    for name, function in of_type(T, "AWS::Lambda::Function").items():
        assert ref_name(function["Properties"]["KmsKeyArn"]) == "SuiteKey", name


def test_the_suite_key_rotates_and_is_usable_only_through_the_suites_services() -> None:
    key = T["Resources"]["SuiteKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    [via_service] = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"AWS": "*"}]
    services = {
        value["Fn::Sub"].split(".")[0] for value in via_service["Condition"]["StringEquals"]["kms:ViaService"]
    }
    assert services == {"dynamodb", "secretsmanager", "sqs", "sns", "s3", "lambda"}
    assert via_service["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    # Only the account itself administers the key unconditionally; every other grant is conditioned.
    for statement in key["KeyPolicy"]["Statement"]:
        if statement["Sid"] != "AccountAdministersTheKey":
            assert statement.get("Condition"), statement["Sid"]


def test_function_urls_are_public_only_where_documented() -> None:
    for name, url in of_type(T, "AWS::Lambda::Url").items():
        if url["Properties"]["AuthType"] == "NONE":
            assert function_of(T, url["Properties"]["TargetFunctionArn"]) in PUBLIC_FUNCTION_URLS, name
    for name, permission in of_type(T, "AWS::Lambda::Permission").items():
        properties = permission["Properties"]
        if properties["Principal"] == "*":
            # Public only through the URL: InvokeFunctionUrl with auth NONE, or InvokeFunction via the URL.
            assert properties.get("FunctionUrlAuthType") == "NONE" or properties.get(
                "InvokedViaFunctionUrl"
            ), name
            assert function_of(T, properties["FunctionName"]) in PUBLIC_FUNCTION_URLS, name


def test_no_secret_value_sits_in_a_function_environment() -> None:
    for name, function in of_type(T, "AWS::Lambda::Function").items():
        for key, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, str):
                assert not value.startswith(("xox", "sk_", "AKIA")), f"{name}: {key}"
            if any(word in key for word in ("SECRET", "TOKEN", "PASSWORD")):
                assert key.endswith(("_ID", "_ARN")), f"{name}: {key} should name a secret, not hold one"


def test_queues_eventbridge_delivers_dead_letters_to_are_encrypted_with_keys_it_may_use() -> None:
    # EventBridge sends a rule's undeliverable events as itself (events.amazonaws.com), not as a role: a
    # queue under the suite key refuses them unless the key policy names EventBridge (SQS-managed keys: none).
    key_principals = {
        service
        for statement in T["Resources"]["SuiteKey"]["Properties"]["KeyPolicy"]["Statement"]
        for service in as_list(statement["Principal"].get("Service", []))
        if isinstance(service, str)
    }
    queues = of_type(T, "AWS::SQS::Queue")
    for name, rule in of_type(T, "AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            if "DeadLetterConfig" not in target:
                continue
            queue = queues[ref_name(target["DeadLetterConfig"]["Arn"])]["Properties"]
            assert queue.get("SqsManagedSseEnabled") or "events.amazonaws.com" in key_principals, name


def test_every_checkov_suppression_sits_beside_its_resource_with_a_reason() -> None:
    for name, resource in sam_template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"].startswith(("CKV_AWS_", "CKV2_AWS_")), name
            assert len(skip.get("comment", "").split()) >= 8, f"{name}: {skip['id']} needs its reason"


def test_the_browser_runners_stack_grants_no_wildcard_and_encrypts_its_queue() -> None:
    browser = translated(BROWSER_TEMPLATE)
    for where, statement in statements(browser):
        if statement["Effect"] == "Allow":
            assert not any("*" in action for action in as_list(statement["Action"])), where
            assert "*" not in as_list(statement.get("Resource", [])), where
    for name, queue in of_type(browser, "AWS::SQS::Queue").items():
        assert queue["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs", name
    for name, role in of_type(browser, "AWS::IAM::Role").items():
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name
