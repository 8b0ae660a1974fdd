"""Which of the suite's thread posts only echo a timeline entry, so the document says each thing once.

The suite writes an event twice: once in the recorded timeline ("Zoom war room started: <url>") and once as
its post in the thread (":video_camera: War room: <url> (Zoom meeting 857...). Join ..."). The post is
merged into the entry when it was posted close to the entry's instant and says most of what the entry
says (its words, links and ids); a post that says something else (the checklist) stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# A post made for an entry follows it within seconds; two minutes allows for a slow Slack call.
ECHO_WINDOW = timedelta(minutes=2)
# Share of the entry's words the post must repeat to be its echo.
ECHO_OVERLAP = 0.75
_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Recorded:
    at: datetime
    text: str


def words(text: str) -> set[str]:
    """The words of a Slack-formatted text, without emoji codes and markup."""
    return set(_WORD.findall(_EMOJI.sub(" ", text.lower())))


def echoed_entry(at: datetime, text: str, entries: Sequence[Recorded]) -> Recorded | None:
    """The recorded entry this post of the suite repeats, if any (the closest in time)."""
    said = words(text)
    candidates = []
    for entry in entries:
        distance = abs(entry.at - at)
        if distance > ECHO_WINDOW:
            continue
        entry_words = words(entry.text)
        if entry_words and len(entry_words & said) / len(entry_words) >= ECHO_OVERLAP:
            candidates.append((distance, entry))
    return min(candidates, key=lambda pair: pair[0])[1] if candidates else None
