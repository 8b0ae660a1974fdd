"""The Four Golden Signals dashboard: its body rendered from parameters, and checked before it ships."""

from incident_core.dashboard.params import DashboardParams, DashboardParamsError, parse_params
from incident_core.dashboard.render import render_dashboard
from incident_core.dashboard.validate import DashboardBodyError, dashboard_problems, validate_dashboard_body

__all__ = [
    "DashboardBodyError",
    "DashboardParams",
    "DashboardParamsError",
    "dashboard_problems",
    "parse_params",
    "render_dashboard",
    "validate_dashboard_body",
]
