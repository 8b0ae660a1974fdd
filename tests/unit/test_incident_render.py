"""What Slack shows (pure Block Kit): the Live Incident State Document and the page after a click."""

import json
import re
from datetime import UTC, datetime, timedelta

from incident_core.incidents.acks import help_message
from incident_core.incidents.render import mrkdwn, page_after_click, root_message, status_list
from incident_core.models import Incident, IncidentStatus

START = datetime(2026, 7, 1, 8, 58, tzinfo=UTC)


def incident(**extra) -> Incident:
    fields = {
        "incident_id": "INC-1",
        "title": "Journey 'book-viewing' is failing",
        "declared_by": "U0ALASTAIR",
        "lead": "U0WISEN",
        "started_at": START,
        "detected_at": START + timedelta(minutes=1),
        "declared_at": START + timedelta(minutes=4),
        "journeys": ["book-viewing"],
        "alarms": ["incident-api-5xx"],
        "impact": "Users cannot book viewings",
        "latest_update": "Rolling back <the deploy> & watching",
        **extra,
    }
    return Incident(**fields)


def test_root_message_has_every_fact_of_the_live_document():
    text, blocks = root_message(incident(war_room_url="https://zoom.example/j/1"))
    shown = json.dumps(blocks, ensure_ascii=False)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].startswith("INC-1 INVESTIGATING")
    for fact in (
        "*Status*",
        "*Lead*\\n<@U0WISEN>",
        "*Started*",
        "*Detected*",
        "<@U0ALASTAIR>",
        "<https://zoom.example/j/1|Join the Zoom war room>",
        "Users cannot book viewings",
        "journey `book-viewing`, alarm `incident-api-5xx`",
        "Rolling back &lt;the deploy&gt; &amp; watching",
    ):
        assert fact in shown, fact
    # London time as the fallback (BST in July), each reader's own zone in Slack.
    assert "<!date^1782896280^{date_short_pretty} {time}|Wed 01 Jul 09:58 BST>" in shown
    assert "Users cannot book viewings" in text


def test_resolved_root_says_how_long_it_lasted():
    resolved = incident(status=IncidentStatus.RESOLVED, resolved_at=START + timedelta(hours=1, minutes=5))
    _, blocks = root_message(resolved)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "RESOLVED" in blocks[0]["text"]["text"] and "(after 1 h 05 min)" in shown
    assert "post-mortem draft follow" in shown


def test_missing_facts_say_how_to_fill_them():
    _, blocks = root_message(incident(impact="", latest_update="", lead=None, journeys=[], alarms=[]))
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "`/incident impact <text>`" in shown and "`/incident update <text>`" in shown
    assert "`/incident lead @you`" in shown and "starting…" in shown


def test_page_after_a_click_keeps_the_alert_and_drops_spent_buttons():
    page = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Journey failing*"}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "alert_acknowledge"},
                {"type": "button", "action_id": "alert_real_incident"},
                {"type": "button", "action_id": "alert_false_alarm"},
            ],
        },
    ]
    acknowledged = page_after_click(
        page, "Acknowledged by <@U1>", keep=("alert_real_incident", "alert_false_alarm")
    )
    assert [e["action_id"] for e in acknowledged[1]["elements"]] == [
        "alert_real_incident",
        "alert_false_alarm",
    ]
    assert acknowledged[-1]["elements"][0]["text"] == "Acknowledged by <@U1>"
    declared = page_after_click(page, "Declared")
    assert [b["type"] for b in declared] == ["section", "context"]


def test_status_list_and_help():
    now = START + timedelta(minutes=34)
    text, blocks = status_list([incident()], {"INC-1": "https://example.slack.com/archives/C1/p1"}, now)
    assert text == "1 open incident"
    assert "<https://example.slack.com/archives/C1/p1|INC-1>" in blocks[1]["text"]["text"]
    assert "declared 30 min ago" in blocks[1]["text"]["text"]
    assert status_list([], {}, now)[0] == "No incident is open."
    text, blocks = help_message("`x` is not an `/incident` command.")
    assert text.startswith("`x` is not") and len(blocks) == 2


def test_mrkdwn_keeps_slack_tokens_and_escapes_the_rest():
    # A link people typed is shown as text with its real address (issue 10: no deceptive labels).
    assert (
        mrkdwn("<@U1> said a<b & <https://x.example|link>")
        == "<@U1> said a&lt;b &amp; link (https://x.example)"
    )
    assert mrkdwn("already &lt; escaped &amp; fine") == "already &lt; escaped &amp; fine"


def test_mrkdwn_turns_broadcast_mentions_into_plain_words():
    typed = "<!channel> <!here|here> <!everyone> <!subteam^S0ONCALL|@on-call> <!subteam^S0OPS> are down"
    assert mrkdwn(typed) == "@channel @here @everyone @on-call @group are down"
    # One person or channel still links; bare > is escaped as Slack's formatting rules ask.
    assert mrkdwn("<@U1|alastair> in <#C0INCIDENTS|incidents>: 5 > 4") == (
        "<@U1|alastair> in <#C0INCIDENTS|incidents>: 5 &gt; 4"
    )
    assert mrkdwn("<javascript:alert(1)>") == "&lt;javascript:alert(1)&gt;"


def test_an_update_with_a_broadcast_mention_notifies_nobody_in_the_root_or_thread():
    incident = Incident(
        incident_id="INC-1",
        title="<!here> checkout down",
        impact="<!everyone> cannot pay",
        lead="U1",
        declared_by="U1",
        started_at=START,
        detected_at=START,
        acknowledged_at=START,
        declared_at=START,
        latest_update="<!channel> rolling back",
    )
    text, blocks = root_message(incident)
    assert blocks[0]["text"]["type"] == "plain_text"  # the header shows text as typed, never as mentions
    rendered = text + json.dumps(blocks[1:])
    assert "@channel rolling back" in rendered
    assert not re.search(r"<!(channel|here|everyone|subteam)", rendered)
