"""Synthetic journeys: pretend to be a user, step by step, and say when a journey stops working.

config (the journeys file as models) -> loader (read + validate, every problem listed) -> engine (run
steps: http_steps with requests, browser with Playwright; confirm failures by running again) ->
monitor (due journeys, store the results, announce state changes on the bus once) -> report (text/JSON).
"""
