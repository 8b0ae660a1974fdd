"""Post-incident: the Incident State Document and blameless post-mortem draft, compiled from the thread."""
