"""Incidents: declare, the Live Incident State Document, the timeline, the checklist, the store."""
