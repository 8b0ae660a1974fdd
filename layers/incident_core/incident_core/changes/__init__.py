"""What changed before an incident, ranked, and how to revert it (docs/revert.md)."""
