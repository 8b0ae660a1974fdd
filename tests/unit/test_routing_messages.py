"""What a page says (pure): text from outside the suite (alarm titles and reasons, journey page excerpts,
link names, people's silence reasons) is escaped for Slack mrkdwn; the suite's own mentions are not;
times are in the policy's time zone."""

import json
from datetime import UTC, datetime, timedelta

from incident_core.models.alerts import Alert, AlertSource
from incident_core.paging.messages import (
    mrkdwn_escape,
    resolution_text,
    slack_message,
    unrecovered_text,
    urgent_message,
)
from incident_core.paging.pages import Page, PageKind
from incident_core.policy.model import load_policy, parse_policy
from stand_ins.aws import ROOT

POLICY = load_policy(ROOT / "config" / "policy.yaml")
STARTED = datetime(2026, 6, 8, 13, 30, tzinfo=UTC)  # 14:30 BST, 09:30 EDT
EXCERPT = '<!channel> <div class="error">Booking failed: seats < 1 & "Book viewing" missing</div>'


def hostile_alert(**changes) -> Alert:
    fields = {
        "alert_id": "al-1",
        "fingerprint": "journey-abc",
        "title": "Journey 'book<viewing>' is failing & <!here>",
        "source": AlertSource.JOURNEY,
        "journey": "book<viewing>",
        "alarm_name": "incident-<b>",
        "state_reason": EXCERPT,
        "reason": "silenced until Mon 08 Jun (<!everyone> deploy)",
        "links": {"journey page <x>": "https://bookshop.example.com/listings?id=3&view=1|x"},
        "started_at": STARTED,
        "first_seen": STARTED,
        "last_seen": STARTED,
    }
    return Alert(**(fields | changes))


def page(kind: PageKind = PageKind.PAGE) -> Page:
    return Page(
        page_id="al-1-p0",
        alert_id="al-1",
        seq=0,
        kind=kind,
        due_at=STARTED,
        people=["alastair"],
        channels=["slack"],
    )


def every_text(message) -> list[str]:
    """The notification text and every mrkdwn text in the blocks."""
    texts = [message.text]
    for block in message.blocks:
        texts += [block["text"]["text"]] if "text" in block else []
        texts += [field["text"] for field in block.get("fields", [])]
        texts += [element["text"] for element in block.get("elements", []) if block["type"] == "context"]
    return texts


def test_outside_text_is_escaped_in_every_part_of_the_page():
    for target, mention in (("dm", []), ("channel", ["alastair"])):
        message = slack_message(hostile_alert(), page(), POLICY, target, mention)
        rendered = "\n".join(every_text(message))

        for special in ("<!channel>", "<!here>", "<!everyone>", "<div", "<b>", "<viewing>", "<x>"):
            assert special not in rendered, (target, special)
        assert '&lt;!channel&gt; &lt;div class="error"&gt;Booking failed: seats &lt; 1 &amp;' in rendered
        assert "book&lt;viewing&gt;" in rendered and "&lt;!everyone&gt; deploy" in rendered
        # Every `<` left is one of the suite's own tokens: a mention or the link it builds.
        tokens = [t.split(">")[0] for t in rendered.split("<")[1:]]
        assert all(t.startswith(("@U0ALASTAIR", "https://")) for t in tokens), tokens
    assert "<@U0ALASTAIR> you are paged" in message.text
    link = "<https://bookshop.example.com/listings?id=3&amp;view=1%7Cx|journey page &lt;x&gt;>"
    assert link in json.dumps(message.blocks, ensure_ascii=False)


def test_the_resolution_and_closure_replies_escape_the_title():
    resolved = hostile_alert(resolved_at=STARTED + timedelta(minutes=5))
    assert resolution_text(resolved, POLICY).endswith("is failing &amp; &lt;!here&gt;")
    closed = unrecovered_text(resolved, POLICY, timedelta(hours=26))
    assert "26 h later" in closed and "&lt;!here&gt;" in closed and "<!here>" not in closed


def test_sms_and_email_are_plain_text_and_not_escaped():
    subject, body = urgent_message(hostile_alert(), POLICY)
    assert subject == "INCIDENT: Journey 'book<viewing>' is failing & <!here>"
    assert EXCERPT in body


def test_escaping_is_exactly_slacks_three_characters():
    assert mrkdwn_escape("a & b < c > d *e* _f_") == "a &amp; b &lt; c &gt; d *e* _f_"
    assert mrkdwn_escape("&lt;") == "&amp;lt;"  # outside text is shown as written, entities included


def test_times_are_in_the_policys_time_zone():
    london = slack_message(hostile_alert(), page(), POLICY, "dm", [])
    new_york_policy = parse_policy(
        (ROOT / "config" / "policy.yaml")
        .read_text()
        .replace("time_zone: Europe/London", "time_zone: America/New_York")
    )
    new_york = slack_message(hostile_alert(), page(), new_york_policy, "dm", [])
    assert "*Started:* Mon 08 Jun 14:30 BST" in every_text(london)
    assert "*Started:* Mon 08 Jun 09:30 EDT" in every_text(new_york)
    resolved = hostile_alert(resolved_at=STARTED + timedelta(minutes=5))
    assert resolution_text(resolved, new_york_policy).startswith(":white_check_mark: Resolved at 09:35 EDT")
