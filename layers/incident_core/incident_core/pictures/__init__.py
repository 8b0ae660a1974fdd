"""Pictures of an incident's window: CloudWatch metric widget images with the incident's instants marked."""
