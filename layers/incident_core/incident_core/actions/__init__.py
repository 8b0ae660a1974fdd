"""Action items: the P0 follow-ups of incidents and false alarms (store, Slack rendering, reminders)."""
