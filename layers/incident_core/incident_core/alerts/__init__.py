"""Alerts: intake of alarms and journey events, normalised with a fingerprint, and their store."""
