from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, model_validator


class TractionWindow(BaseModel):
    """A traction moment: extended support hours, set case by case (start, end, label)."""

    window_id: str
    start: datetime
    end: datetime
    label: str
    created_by: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TractionWindow:
        if self.end <= self.start:
            raise ValueError(
                f"traction window '{self.label}': end {self.end} is not after start {self.start}"
            )
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


class Silence(BaseModel):
    """A maintenance window: matching alerts are recorded, not paged, until `end`."""

    silence_id: str
    match: str  # a journey name or an alarm name; '*' suffix matches a prefix
    start: datetime
    end: datetime
    reason: str
    created_by: str | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def matches(self, name: str) -> bool:
        if self.match.endswith("*"):
            return name.startswith(self.match[:-1])
        return name == self.match
