"""Domain and adapters shared by every function of the incident suite.

Flow of an incident, package by package:
journeys (detect) -> alerts + policy + paging (route) -> incidents (validate, declare, run the thread)
-> postmortem (compile, learn) -> actions (follow up). adapters/ holds one module per outside system.
"""
