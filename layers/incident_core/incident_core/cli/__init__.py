"""`incidentctl`: the suite's command line, for writing journeys, checking the policy and reporting."""
