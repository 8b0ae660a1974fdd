"""The policy file's `tracker:` section: where the action items are planned (GitHub Issues; Linear is not
built). People's tracker logins are under `people.<key>.github`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class TrackerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["github"]
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]  # owner/name
    # Put on every item's issue, created at start-up when missing. GitHub caps a label at 50 characters.
    labels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: ["incident", "P0"], min_length=1
    )
