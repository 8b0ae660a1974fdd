"""`python -m bench cold_starts --against <commit>`: an older version runs as that commit deployed it."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import yaml

from bench.cold_starts import ROOT, Scenario, _environment, before_variants, globals_environment


def test_an_older_version_runs_without_the_variables_its_template_did_not_give(tmp_path: Path) -> None:
    today = globals_environment(ROOT / "template.yaml")
    older = {name: value for name, value in today.items() if name != "PYDANTIC_DISABLE_PLUGINS"}
    (tmp_path / "template.yaml").write_text(
        yaml.safe_dump({"Globals": {"Function": {"Environment": {"Variables": older}}}})
    )
    scenario = Scenario(
        name="alert_router",
        handler_path=ROOT / "functions" / "alert_router" / "app.py",
        handler_name="lambda_handler",
        memory_mb=256,
        goal_ratio=1.3,
        event_file="(none)",
        prepare=lambda n, memo: {"n": n},
        did_its_work=lambda result: True,
        extra_env={"BENCH_FROZEN_AT": "2026-06-09T09:00:00+00:00"},
    )
    world = SimpleNamespace(env={"PYDANTIC_DISABLE_PLUGINS": "__all__", "TABLE_NAME": "incident-suite-bench"})

    (variant,) = before_variants([scenario], tmp_path)

    env = _environment(world, variant, ["/opt/python", "/var/runtime"])
    assert "PYDANTIC_DISABLE_PLUGINS" not in env
    assert env["TABLE_NAME"] == "incident-suite-bench"
    assert env["BENCH_FROZEN_AT"] == "2026-06-09T09:00:00+00:00"
    # Its own layer package first, then the layer's packages and the runtime's boto3.
    older_layer = str(tmp_path / "layers" / "incident_core")
    assert env["BENCH_SYS_PATH"].split(os.pathsep) == [older_layer, "/opt/python", "/var/runtime"]
    assert variant.prepare(1, {}) == {"n": 1001}
    today = _environment(world, scenario, ["/opt/python", "/var/runtime"])
    assert today["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert today["BENCH_SYS_PATH"].split(os.pathsep) == ["/opt/python", "/var/runtime"]
