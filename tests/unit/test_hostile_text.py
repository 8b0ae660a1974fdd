"""Hostile text (pure): what people type never pings a channel in Slack, never shows one address and
links another, and never becomes a link, an image or HTML in the Markdown documents."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_core.incidents.render import mrkdwn
from incident_core.postmortem.compile import plain
from incident_core.postmortem.thread import to_markdown

PIECES = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0TEAM|@team>",
    "<https://evil.example|https://status.example.com>",
    "<mailto:a@example.com|mail>",
    "<javascript:alert(1)|x>",
    "[x](javascript:alert(1))",
    "![i](data:text/html;base64,AAAA)",
    "<img src=x onerror=alert(1)>",
    "<script>",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "&",
    "&lt;",
    "<@U0ALASTAIR>",
    "<#C0INCIDENTS|incidents>",
    " ",
    "plain words",
]
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=12).map("".join)
# A Markdown link or image whose target is not http(s) or mailto, outside a backslash escape.
BAD_LINK = re.compile(r"(?<!\\)\]\(\s*(?!https?://|mailto:)")
RAW_HTML = re.compile(r"<(?!https?://|mailto:)[A-Za-z!/]")


def test_links_people_typed_show_their_real_address_in_slack():
    assert mrkdwn("<https://evil.example|https://status.example.com>") == (
        "https://status.example.com (https://evil.example)"
    )
    assert mrkdwn("<!channel> <!subteam^S1|@ops> hi") == "@channel @ops hi"


def test_markdown_shows_what_people_typed_without_linking_it():
    assert plain("[win](javascript:alert(1)) <b>") == "\\[win\\](javascript:alert(1)) &lt;b&gt;"
    assert to_markdown("[x](javascript:y) <https://e.example|https://s.example>", {}) == (
        "\\[x\\](javascript:y) https://s.example (<https://e.example>)"
    )


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_no_slack_post_of_people_text_pings_or_links(text):
    shown = mrkdwn(text)
    assert not re.search(r"<!(?:channel|here|everyone|subteam)", shown)
    assert not re.search(r"<(?:https?|mailto):[^>]*\|", shown)  # no labelled link


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_no_markdown_of_people_text_links_elsewhere_or_holds_html(text):
    for markdown in (to_markdown(text, {"U0ALASTAIR": "[a](javascript:b)"}), plain(text)):
        assert not BAD_LINK.search(markdown), markdown
        assert not RAW_HTML.search(markdown), markdown
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!<?https?://|mailto:)", markdown), markdown
