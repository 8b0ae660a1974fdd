"""What changed, ranked (pure): the suite's own changes dropped, what the failure depends on first, and
CloudTrail's records parsed without ever raising on what CloudTrail (or anyone) sends."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.changes.cloudtrail import changes_from, event_name, parse_events
from incident_core.changes.model import Change, RevertAction, change_id
from incident_core.changes.rank import Dependencies, Own, rank

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def change(name: str, minutes_before: float, source: str = "cloudtrail") -> Change:
    return Change(
        change_id=change_id(name, str(minutes_before)),
        source=source,
        kind="Lambda alias moved",
        resource=f"`{name}`",
        names=[name],
        at=START - timedelta(minutes=minutes_before),
    )


def test_the_suites_own_stack_and_resources_are_never_candidates():
    own = Own(stack="incident-suite-prod", prefixes=("incident-suite-prod-",))
    changes = [
        change("incident-suite-prod", 5, "cloudformation"),
        change("incident-suite-prod-SlackAppFunction-1a2b3c", 4),
        change("Incident-Suite-Prod-AlertRouterFunction-9z", 3),
        change("bookshop-frontend", 20),
    ]
    ranked = rank(changes, START, Dependencies(), own)
    assert [c.names for c in ranked] == [["bookshop-frontend"]]


def test_a_change_to_what_the_journey_depends_on_ranks_first_then_the_nearest():
    changes = [
        change("payments", 2),
        change("search", 10),
        change("bookshop-frontend", 90),
        change("old", 170),
    ]
    depends = Dependencies(services=frozenset({"bookshop-frontend"}), names=("book-viewing",))
    ranked = rank(changes, START, depends, Own())
    assert [c.names[0] for c in ranked] == ["bookshop-frontend", "payments", "search", "old"]
    assert ranked[0].touches == ["declared service `bookshop-frontend`"]


def test_an_alarm_naming_a_function_touches_it():
    depends = Dependencies(names=("incident-prod-checkout-errors",))
    ranked = rank([change("search", 1), change("checkout", 30)], START, depends, Own())
    assert ranked[0].names == ["checkout"] and ranked[0].touches == [
        "`checkout` in `incident-prod-checkout-errors`"
    ]


def lookup_event(name: str, request: dict, response: dict | None, at: str, **record) -> dict:
    source = record.pop("eventSource", "lambda.amazonaws.com")
    body = {"eventSource": source, "eventName": name, "eventTime": at, "requestParameters": request}
    body |= {"responseElements": response, "userIdentity": {"arn": "arn:aws:iam::1:user/alice"}, **record}
    return {
        "EventId": f"id-{name}-{at}",
        "EventName": name,
        "Username": "alice",
        "CloudTrailEvent": json.dumps(body),
    }


def test_an_alias_move_reverts_to_the_version_before_and_a_failed_call_is_no_change():
    events = [
        lookup_event(
            "UpdateAlias20150331",
            {"functionName": "shop", "name": "live", "functionVersion": "5"},
            {"name": "live", "functionVersion": "5"},
            "2026-03-02T09:50:00Z",
        ),
        lookup_event(
            "UpdateAlias20150331",
            {"functionName": "shop", "name": "live", "functionVersion": "9"},
            None,
            "2026-03-02T09:55:00Z",
            errorCode="ResourceConflictException",
        ),
        lookup_event(
            "CreateAlias20150331",
            {"functionName": "shop", "name": "live", "functionVersion": "4"},
            {"name": "live", "functionVersion": "4"},
            "2026-02-01T09:00:00Z",
        ),
    ]
    parsed = parse_events(events)
    (moved,) = changes_from(parsed.records)
    assert (moved.before, moved.after, moved.who) == ("4", "5", "alice")
    assert moved.revert is not None and moved.revert.action is RevertAction.LAMBDA_ALIAS
    assert (moved.revert.expect, moved.revert.restore) == ("5", "4")
    assert moved.revert.inverse().restore == "5"
    assert parsed.skipped == {"the call failed (errorCode)": 1}
    assert event_name("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
record_fields = st.fixed_dictionaries(
    {
        "eventSource": st.sampled_from(
            ["lambda.amazonaws.com", "ecs.amazonaws.com", "appconfig.amazonaws.com"]
        ),
        "eventName": st.sampled_from(
            ["UpdateAlias20150331", "UpdateService", "StartDeployment", "CreateAlias"]
        ),
        "eventTime": st.sampled_from(["2026-03-02T09:50:00Z", "yesterday", 12, None]),
        "requestParameters": json_values,
        "responseElements": json_values,
        "userIdentity": json_values,
    }
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(json_values, record_fields.map(lambda r: {"CloudTrailEvent": json.dumps(r)})), max_size=6
    )
)
def test_any_lookup_answer_is_parsed_without_raising(events):
    parsed = parse_events(events)
    for found in changes_from(parsed.records):
        assert found.change_id.startswith("chg-")


marker_fields = st.fixed_dictionaries(
    {
        "service": st.one_of(st.text(max_size=30), st.sampled_from(["bookshop-frontend", "api/v2"])),
        "version": st.text(max_size=12),
        "commit": st.one_of(st.text(max_size=12), st.sampled_from(["0a1b2c3", "DEADBEEF00"])),
        "author": st.text(max_size=12),
        "finished_at": st.sampled_from(["2026-12-06T10:00:00Z", "soon", 0]),
    },
    optional={
        "revert_hook": st.one_of(
            st.text(max_size=40), st.sampled_from(["https://ci.example.com/h", "http://ci.example.com/h"])
        ),
        "previous_version": st.one_of(st.none(), st.text(max_size=12)),
    },
)


@settings(max_examples=300, deadline=None)
@given(marker_fields)
def test_a_deploy_marker_from_ci_is_valid_or_refused_naming_the_field(fields):
    from pydantic import ValidationError

    from incident_core.changes.markers import marker_change
    from incident_core.events import DeployFinished

    try:
        marker = DeployFinished.model_validate(fields)
    except ValidationError as error:
        assert all(problem["loc"] for problem in error.errors())
        return
    assert marker.revert_hook is None or marker.revert_hook.startswith("https://")
    found = marker_change(marker)
    assert (found.revert is not None) == bool(marker.revert_hook and marker.previous_version)
