"""What a cold container loads and makes before its first answer (issue 13): only what the path needs.

Fresh processes, as Lambda's: the handler modules import without Powertools' parser utility, a holiday
lookup loads one country's module, and the idempotency store rides on the container's DynamoDB client
instead of a boto3 session of its own. Speed itself is measured in `make bench`, never here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.policy.calendar import country_holidays

ROOT = Path(__file__).resolve().parents[2]
PARSED_FUNCTIONS = (
    "journey_runner",
    "alert_router",
    "incident_thread",
    "postmortem_compiler",
    "dashboard_renderer",
)


def fresh_process(code: str, cwd: Path = ROOT) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'incident_core'}",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("function", PARSED_FUNCTIONS)
def test_a_handler_module_loads_no_powertools_parser(function: str) -> None:
    loaded = fresh_process(
        "import json, sys; import app; parser = 'aws_lambda_powertools.utilities.parser';"
        " print(json.dumps(sorted(m for m in sys.modules if m.startswith(parser))))",
        cwd=ROOT / "functions" / function,
    )
    assert loaded == []


def test_a_holiday_lookup_loads_only_the_policys_country() -> None:
    loaded = fresh_process(
        "import json, sys, datetime\n"
        "from incident_core.policy.calendar import BusinessCalendar\n"
        "calendar = BusinessCalendar(time_zone='Europe/London', days=['mon', 'tue', 'wed', 'thu', 'fri'],"
        " start=datetime.time(9), end=datetime.time(17, 30), country='GB', subdiv='ENG')\n"
        "name = calendar.holiday_name(datetime.date(2026, 12, 25))\n"
        "countries = sorted(m for m in sys.modules if m.startswith('holidays.countries'))\n"
        "print(json.dumps({'name': name, 'countries': countries}))"
    )
    assert loaded == {"name": "Christmas Day", "countries": ["holidays.countries.united_kingdom"]}


@settings(max_examples=60, deadline=None)
@given(
    country=st.sampled_from(["GB", "UK", "GBR", "UnitedKingdom", "US", "DE", "IE"]),
    year=st.integers(min_value=1980, max_value=2080),
    data=st.data(),
)
def test_one_countrys_table_is_the_librarys(country: str, year: int, data: st.DataObject) -> None:
    subdivisions = holidays.country_holidays(country).subdivisions
    subdiv = data.draw(st.sampled_from([None, *subdivisions]))
    expected = holidays.country_holidays(country, subdiv=subdiv, years=year)
    assert dict(country_holidays(country, subdiv, year).items()) == dict(expected.items())


def test_an_unknown_country_is_named_by_the_library() -> None:
    with pytest.raises(NotImplementedError, match="Country XX not available"):
        country_holidays("XX", None, 2026)


def test_the_idempotency_store_uses_the_containers_dynamodb_client() -> None:
    made = fresh_process(
        "import json, botocore.session\n"
        "sessions = []\n"
        "original = botocore.session.Session.__init__\n"
        "def counted(self, *args, **kwargs):\n"
        "    sessions.append(1)\n"
        "    original(self, *args, **kwargs)\n"
        "botocore.session.Session.__init__ = counted\n"
        "from incident_core.adapters.aws import client, idempotency_store\n"
        "store = idempotency_store('incident-suite-test-idempotency')\n"
        "print(json.dumps({'shared': store.client is client('dynamodb'), 'sessions': len(sessions)}))"
    )
    assert made == {"shared": True, "sessions": 1}


def test_the_router_makes_one_dynamodb_client_for_its_table_and_idempotency_records() -> None:
    """Each client (made lazily, on first use) costs a cold container its creation; the router's alerts,
    pages and idempotency records are in DynamoDB, on the same page-path settings: one client serves them."""
    made = fresh_process(
        "import json, os\n"
        "os.environ.update(SCHEDULER_ROLE_ARN='arn:aws:iam::123456789012:role/pages',"
        " BUS_ARN='arn:aws:events:eu-west-2:123456789012:event-bus/incident-suite')\n"
        "from incident_core.alerts import wiring\n"
        "services = []\n"
        "original = wiring.PagePathClient.__init__\n"
        "def counted(self, service):\n"
        "    services.append(service)\n"
        "    original(self, service)\n"
        "wiring.PagePathClient.__init__ = counted\n"
        "import app\n"
        "app.Runtime()\n"
        "print(json.dumps(services))",
        cwd=ROOT / "functions" / "alert_router",
    )
    assert made.count("dynamodb") <= 1


def test_with_the_templates_environment_models_are_built_without_scanning_for_plugins() -> None:
    """pydantic looks for plugins in every installed distribution's entry points when the first model is
    built, unless told there are none; the suite has none, and the template says so to every function."""
    from stand_ins.aws import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    literal = {name: value for name, value in variables.items() if isinstance(value, str)}
    scanned = fresh_process(
        "import json, os, importlib.metadata\n"
        f"os.environ.update({literal!r})\n"
        "calls = []\n"
        "original = importlib.metadata.distributions\n"
        "def counted(*args, **kwargs):\n"
        "    calls.append(1)\n"
        "    return original(*args, **kwargs)\n"
        "importlib.metadata.distributions = counted\n"
        "import incident_core.events\n"
        "print(json.dumps(len(calls)))"
    )
    assert scanned == 0


def test_an_event_model_is_built_when_first_used_not_when_imported() -> None:
    """Every function imports the suite's events and uses one or two: building each model's validator at
    import would make every cold container pay for all of them."""
    built = fresh_process(
        "import json\n"
        "from incident_core import events\n"
        "kinds = [m for m in vars(events).values() if isinstance(m, type)"
        " and issubclass(m, events.SuiteEvent) and m is not events.SuiteEvent]\n"
        "before = sorted(m.__name__ for m in kinds if m.__pydantic_complete__)\n"
        "parsed = events.IncidentResolved.model_validate("
        "{'incident_id': 'inc-1', 'resolved_at': '2026-06-09T09:00:00Z', 'resolved_by': 'U0ALASTAIR'})\n"
        "after = sorted(m.__name__ for m in kinds if m.__pydantic_complete__)\n"
        "print(json.dumps({'kinds': len(kinds), 'before': before, 'after': after,"
        " 'parsed': parsed.model_dump(mode='json')}))"
    )
    assert built["kinds"] >= 10
    assert built["before"] == []
    assert built["after"] == ["IncidentResolved"]
    assert built["parsed"]["resolved_at"] == "2026-06-09T09:00:00Z"
