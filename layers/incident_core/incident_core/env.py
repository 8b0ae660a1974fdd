"""Environment variables read before any model is loaded, with their defaults.

The Slack app acknowledges a request knowing only its secret and Slack's URL; reading them through
Settings (settings.py) would import pydantic (about 0.1 s) on that path. Settings takes the same names
and defaults from here, so the two never disagree.
"""

from __future__ import annotations

import os

SLACK_SECRET_ID = "SLACK_SECRET_ID"
SLACK_API_URL = "SLACK_API_URL"
DEFAULTS = {
    SLACK_SECRET_ID: "incident-suite/slack",
    SLACK_API_URL: "https://slack.com/api/",
}


def read(name: str) -> str:
    """The variable's value, or its default (as Settings would read it)."""
    return os.environ.get(name, DEFAULTS[name])
