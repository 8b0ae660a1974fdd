"""incidentctl dashboard render: print the Four Golden Signals dashboard body, checked, before deploying.

    incidentctl dashboard render --params ProductHttpApiId=a1b2c3d4e5 ProductFunctionNames=orders,search
    incidentctl dashboard render --params-file dashboard-params.json > body.json

Parameters use the template's names (as `sam deploy --parameter-overrides` takes them). A file may hold a
JSON or YAML mapping, or CloudFormation's [{"ParameterKey": ..., "ParameterValue": ...}] list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_REGION = "eu-west-2"


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser(
        "dashboard",
        help="the Four Golden Signals dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    render = actions.add_parser("render", help="print the dashboard body (JSON) after checking it")
    render.add_argument(
        "--params",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters: ProductHttpApiId, ProductFunctionNames, ProductTableNames, "
        "Environment, Region, WatcherAlarmArns, ...",
    )
    render.add_argument("--params-file", type=Path, help="a JSON/YAML file of parameters (read first)")
    render.add_argument("--region", help="AWS region of the widgets (default: AWS_REGION, else eu-west-2)")
    render.add_argument("--compact", action="store_true", help="one line, as PutDashboard receives it")
    render.set_defaults(run=run_render)


def _file_params(path: Path) -> dict[str, Any]:
    import yaml  # JSON is YAML too; deferred so other commands do not pay for it

    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"--params-file {path}: cannot read it ({error})") from None
    if isinstance(loaded, list) and all(isinstance(item, dict) and "ParameterKey" in item for item in loaded):
        return {item["ParameterKey"]: item.get("ParameterValue", "") for item in loaded}
    if not isinstance(loaded, dict):
        raise ValueError(f"--params-file {path}: expected a mapping of parameter names to values")
    return loaded


def _pair_params(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--params {pair!r}: expected KEY=VALUE, e.g. ProductHttpApiId=a1b2c3d4e5")
        values[key] = value
    return values


def run_render(args: argparse.Namespace) -> int:
    from incident_core.dashboard import (
        DashboardBodyError,
        DashboardParamsError,
        parse_params,
        render_dashboard,
        validate_dashboard_body,
    )

    try:
        values: dict[str, Any] = _file_params(args.params_file) if args.params_file else {}
        values.update(_pair_params(args.params))
        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        values.setdefault("Region", region or DEFAULT_REGION)
        body = render_dashboard(parse_params(values))
        validate_dashboard_body(body)
    except (ValueError, DashboardParamsError, DashboardBodyError) as error:
        print(f"incidentctl dashboard render: {error}", file=sys.stderr)
        return 2
    print(json.dumps(body, separators=(",", ":")) if args.compact else json.dumps(body, indent=2))
    return 0
