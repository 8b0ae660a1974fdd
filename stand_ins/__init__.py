"""Local stand-ins for the outside world, used by tests, `make demo` and `make bench`.

Real servers on 127.0.0.1: AWS through moto server, a fake Slack Web API and a fake Zoom API that
record every call, and the bookshop site the journeys watch. Nothing here is deployed.
"""
