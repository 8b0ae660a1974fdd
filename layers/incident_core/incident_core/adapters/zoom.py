"""Zoom meetings through the REST API, authorised with a Server-to-Server OAuth app.

Server-to-Server OAuth: `POST {oauth_url}?grant_type=account_credentials&account_id=<id>` with HTTP Basic
`client_id:client_secret` returns an access token (valid `expires_in` seconds, an hour); the token is
kept per container until shortly before it expires. Meetings: `POST {api_url}/users/{user_id}/meetings`.
The credentials come from the Zoom secret: {"account_id", "client_id", "client_secret", "user_id"}.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel

# Renew a token this long before Zoom says it expires, so a request never carries a stale one.
TOKEN_RENEW_MARGIN_SECONDS = 60
DEFAULT_TIMEOUT_SECONDS = 5.0
SECRET_FIELDS = ("account_id", "client_id", "client_secret", "user_id")


class ZoomError(Exception):
    """Zoom could not be reached or refused the request; the message says which and why."""


class Meeting(BaseModel):
    meeting_id: str
    join_url: str
    topic: str = ""
    start_url: str | None = None
    password: str | None = None


class MeetingCreator(Protocol):
    def create_meeting(self, topic: str) -> Meeting: ...


@dataclass(frozen=True)
class ZoomCredentials:
    account_id: str
    client_id: str
    client_secret: str
    user_id: str  # the Zoom user who hosts the meetings (e-mail or id; S2S apps have no "me")

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> ZoomCredentials:
        missing = [key for key in SECRET_FIELDS if not secret.get(key)]
        if missing:
            raise ZoomError(f"the Zoom secret has no {', '.join(missing)}")
        return cls(
            account_id=str(secret["account_id"]),
            client_id=str(secret["client_id"]),
            client_secret=str(secret["client_secret"]),
            user_id=str(secret["user_id"]),
        )


class Zoom:
    def __init__(
        self,
        credentials: ZoomCredentials,
        api_url: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        session: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url
        self.timeout = timeout
        self._session = session
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> Zoom:
        from incident_core.adapters.secrets import get_json_secret

        credentials = ZoomCredentials.from_secret(get_json_secret(settings.zoom_secret_id))
        return cls(credentials, api_url=settings.zoom_api_url, oauth_url=settings.zoom_oauth_url)

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    # ------------------------------------------------------------------ OAuth
    def access_token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self._clock() >= self._token_expires:
                response = self._request(
                    "POST",
                    self.oauth_url,
                    params={"grant_type": "account_credentials", "account_id": self.credentials.account_id},
                    auth=(self.credentials.client_id, self.credentials.client_secret),
                )
                if response.status_code != 200:
                    raise ZoomError(f"Zoom OAuth refused the token request: {_describe(response)}")
                body = _json(response)
                if not body.get("access_token"):
                    raise ZoomError("Zoom OAuth answered without an access_token")
                lifetime = float(body.get("expires_in") or 3600)
                self._token = str(body["access_token"])
                self._token_expires = self._clock() + max(lifetime - TOKEN_RENEW_MARGIN_SECONDS, 0)
            return self._token

    # ------------------------------------------------------------------ meetings
    def create_meeting(
        self,
        topic: str,
        *,
        agenda: str = "",
        start_time: datetime | None = None,
        duration_minutes: int = 60,
        timezone: str = "Europe/London",
    ) -> Meeting:
        """An instant meeting (the war room) or, given `start_time`, a scheduled one (a post-mortem)."""
        payload: dict[str, Any] = {
            "topic": topic[:200],  # Zoom's limit for a topic
            "type": 1 if start_time is None else 2,
            "agenda": agenda[:2000],
            "duration": duration_minutes,
            "timezone": timezone,
            "settings": {"join_before_host": True, "waiting_room": False},
        }
        if start_time is not None:
            payload["start_time"] = start_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        url = f"{self.api_url}/users/{quote(self.credentials.user_id, safe='@')}/meetings"
        response = self._authorised_post(url, payload)
        if response.status_code != 201:
            raise ZoomError(f"Zoom did not create the meeting: {_describe(response)}")
        body = _json(response)
        if not body.get("join_url") or body.get("id") in (None, ""):
            raise ZoomError("Zoom created a meeting but its answer has no id or join_url")
        return Meeting(
            meeting_id=str(body["id"]),
            join_url=str(body["join_url"]),
            topic=str(body.get("topic") or topic),
            start_url=body.get("start_url"),
            password=body.get("password"),
        )

    def _authorised_post(self, url: str, payload: dict[str, Any]) -> Any:
        response = self._request("POST", url, json=payload, token=self.access_token())
        if response.status_code == 401:  # revoked or expired early: one fresh token, one more try
            response = self._request("POST", url, json=payload, token=self.access_token(renew=True))
        return response

    def _request(self, method: str, url: str, token: str | None = None, **kwargs: Any) -> Any:
        import requests

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.Timeout as error:
            raise ZoomError(f"Zoom did not answer within {self.timeout:g} s ({url})") from error
        except requests.RequestException as error:
            raise ZoomError(f"Zoom could not be reached ({url}): {error}") from error


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise ZoomError(f"Zoom answered HTTP {response.status_code} with a body that is not JSON") from error
    if not isinstance(body, dict):
        raise ZoomError(f"Zoom answered HTTP {response.status_code} with unexpected JSON")
    return body


def _describe(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    reason = ""
    if isinstance(body, dict):
        reason = str(body.get("reason") or body.get("message") or body.get("error") or "")
    return f"HTTP {response.status_code}" + (f" ({reason})" if reason else "")
