"""SnapStart is a stack option (parameter SnapStart, off by default) for the two functions whose cold
start a user waits for, the Slack app and the alert router; it needs published versions, so both are
invoked through their `live` alias whether it is on or not."""

from __future__ import annotations

from tests.template_translate import of_type, ref_name, sam_template, translated

T = translated()
SNAPSTART_FUNCTIONS = {"SlackAppFunction", "AlertRouterFunction"}


def test_snapstart_is_a_parameter_off_by_default() -> None:
    parameter = sam_template()["Parameters"]["SnapStart"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == ("Off", ["Off", "On"])
    assert T["Conditions"]["UseSnapStart"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "On"]}


def test_only_the_slack_app_and_the_router_may_snapstart_and_only_when_asked() -> None:
    applied = {
        name: function["Properties"]["SnapStart"]["ApplyOn"]
        for name, function in of_type(T, "AWS::Lambda::Function").items()
        if "SnapStart" in function["Properties"]
    }
    assert applied == {
        name: {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]} for name in SNAPSTART_FUNCTIONS
    }


def test_the_snapstart_functions_are_published_behind_a_live_alias() -> None:
    aliases = {
        ref_name(alias["Properties"]["FunctionName"]): alias["Properties"]["Name"]
        for alias in of_type(T, "AWS::Lambda::Alias").values()
    }
    assert aliases == dict.fromkeys(SNAPSTART_FUNCTIONS, "live")
