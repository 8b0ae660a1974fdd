"""The attacker review of the post-mortem compiler: what Zoom answers (its error messages may quote the
meeting topic, which carries the incident's title) reaches the session post as text, never a ping."""

from __future__ import annotations

from stand_ins.fake_zoom import ZoomFault
from tests.integration.test_postmortem_handler import (  # noqa: F401  (fixtures)
    compiler,
    compiler_alone,
    resolved_event,
    zoom_server,
)


def test_zooms_answer_is_shown_in_the_session_post_as_text(compiler, fake_slack, zoom_server):  # noqa: F811
    zoom_server.inject("meetings", ZoomFault(400, {"code": 300, "message": "Invalid topic: <!channel>"}))
    compiler.invoke(resolved_event())
    (session,) = [c for c in fake_slack.calls("chat.postMessage") if c.args.get("text", "").startswith("🧠")]
    assert "Invalid topic" in session.args["text"]
    assert "<!channel>" not in str(session.args)
