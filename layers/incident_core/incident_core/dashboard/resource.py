"""The dashboard as a CloudFormation custom resource: what Create, Update and Delete do.

The physical resource id is the dashboard's name. A rename returns a new id, and CloudFormation then
sends Delete for the old one, so a renamed dashboard never leaves its old self behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incident_core.adapters.dashboards import Dashboards
from incident_core.dashboard.params import parse_params
from incident_core.dashboard.render import render_dashboard
from incident_core.dashboard.validate import validate_dashboard_body

# CloudFormation passes ServiceToken and ServiceTimeout among the properties: not dashboard parameters.
CFN_ONLY_PROPERTIES = ("ServiceToken", "ServiceTimeout")
# The id answered when Create failed before a dashboard existed; Delete then has nothing to remove.
NOT_CREATED = "dashboard-not-created"


@dataclass
class Outcome:
    physical_id: str
    data: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def put_dashboard(properties: Mapping[str, Any] | None, dashboards: Dashboards) -> Outcome:
    """Create and Update: render from the properties, check the body, put it."""
    values = {key: value for key, value in (properties or {}).items() if key not in CFN_ONLY_PROPERTIES}
    params = parse_params(values)
    body = render_dashboard(params)
    validate_dashboard_body(body)
    warnings = dashboards.put(params.name, body)
    return Outcome(
        physical_id=params.name,
        data={"DashboardName": params.name, "Widgets": str(len(body["widgets"]))},
        warnings=warnings,
    )


def delete_dashboard(physical_id: str, dashboards: Dashboards) -> None:
    if physical_id and physical_id != NOT_CREATED:
        dashboards.delete(physical_id)
