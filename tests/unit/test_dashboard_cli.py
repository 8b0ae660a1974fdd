"""incidentctl dashboard render: prints the checked body from template-style parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_core.cli.main import main
from incident_core.dashboard import dashboard_problems, parse_params, render_dashboard


def render(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["dashboard", "render", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_render_prints_the_same_valid_body_the_custom_resource_deploys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    status, out, err = render(
        capsys,
        "--params",
        "ProductHttpApiId=a1b2c3d4e5",
        "ProductFunctionNames=orders,search",
        "Environment=prod",
    )

    assert (status, err) == (0, "")
    body = json.loads(out)
    assert dashboard_problems(body) == []
    expected = {
        "ProductHttpApiId": "a1b2c3d4e5",
        "ProductFunctionNames": "orders,search",
        "Environment": "prod",
    }
    assert body == render_dashboard(parse_params({**expected, "Region": "eu-west-1"}))
    assert "ProductTableNames" in body["widgets"][0]["properties"]["markdown"]


def test_params_file_may_be_a_mapping_or_cloudformation_parameter_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mapping = tmp_path / "params.yaml"
    mapping.write_text("ProductTableNames: [orders, viewings]\nRegion: eu-west-2\n")
    cfn_list = tmp_path / "params.json"
    cfn_list.write_text(json.dumps([
        {"ParameterKey": "ProductTableNames", "ParameterValue": "orders,viewings"},
        {"ParameterKey": "Region", "ParameterValue": "eu-west-2"},
    ]))  # fmt: skip

    outputs = []
    for path in (mapping, cfn_list):
        status, out, _ = render(capsys, "--params-file", str(path), "--compact")
        assert status == 0
        assert "\n" not in out.strip()
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1]
    assert "viewings" in json.dumps(outputs[0])


def test_command_line_params_override_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"Region": "eu-west-2", "Environment": "dev"}))
    status, out, _ = render(capsys, "--params-file", str(path), "--params", "Environment=prod")
    assert status == 0
    assert "Four Golden Signals: prod" in json.loads(out)["widgets"][0]["properties"]["markdown"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "ProductHttpApiId"], "expected KEY=VALUE"),
        (["--params", "ProductFunctionNames=bad name"], "ProductFunctionNames: not Lambda function names"),
        (["--params", "Colour=blue"], "Colour: is not a dashboard parameter"),
        (["--params-file", "/nonexistent/params.json"], "cannot read it"),
        (["--region", "London"], "Region: 'London' is not an AWS region"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = render(capsys, *args)
    assert status == 2
    assert out == ""
    assert message in err
