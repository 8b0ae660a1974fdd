"""incidentctl from any folder: it finds the project's config/ by walking up, or takes --config, and its
--help speaks of commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from incident_core.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.delenv("POLICY_FILE", raising=False)


def who(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "policy", "who", "--at", "2026-12-25T10:00:00Z", "--offline", "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_policy_who_from_a_folder_inside_the_project(capsys, offline, monkeypatch):
    monkeypatch.chdir(ROOT / "docs")
    code, out, err = who(capsys)
    assert code == 0, err
    assert json.loads(out)["hold_until"] == "2026-12-29T09:00:00Z"


def test_config_given_explicitly_from_anywhere(capsys, offline, monkeypatch, tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "team" / "config")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, out, err = who(capsys, "--config", str(tmp_path / "team" / "config"))
    assert code == 0, err
    assert json.loads(out)["mode"] == "business-as-usual"
    code = main(["--config", str(tmp_path / "team" / "config"), "journeys", "validate"])
    assert code == 0
    assert str(tmp_path / "team" / "config" / "journeys.yaml") in capsys.readouterr().out


def test_outside_any_project_it_says_what_to_do(capsys, offline, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = who(capsys)
    assert code == 2
    assert "no config/policy.yaml" in err and "--config" in err


def test_help_describes_the_commands_not_the_code(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Entry point" not in out and "register" not in out
    assert "incident" in out.split("positional arguments")[0].lower()
    for command in ("journeys", "policy", "doctor", "drill"):
        assert command in out
