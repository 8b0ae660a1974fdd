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
