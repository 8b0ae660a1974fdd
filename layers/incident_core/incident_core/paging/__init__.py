"""Paging: page intents, their delivery to Slack and SNS, held pages and re-pages on a schedule."""
