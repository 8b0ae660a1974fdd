"""The shared layer ships bytecode that Lambda's read-only /opt lets Python use as it is.

SAM's own python3.13 build unpacks wheels without compiling them; with /opt read-only, every cold start
then compiled every module it imported. layers/incident_core/Makefile (template.yaml: BuildMethod
makefile) compiles the layer at build time. Built here for this machine's architecture (the template's is
arm64) and imported the way Lambda does: no bytecode written, no site-packages.
"""

from __future__ import annotations

import platform
import struct
import subprocess
import sys
from pathlib import Path

from stand_ins.aws import load_template

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "layers" / "incident_core" / "Makefile"
UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked


def build(folder: Path, *settings: str) -> Path:
    """`sam build`'s call of the Makefile, for this machine's architecture."""
    command = ["make", "--silent", "-f", str(MAKEFILE), "build-SharedLayer", f"ARTIFACTS_DIR={folder}"]
    settings = (f"ARCH={platform.machine()}", f"PYTHON={sys.executable}", *settings)
    subprocess.run([*command, *settings], check=True, capture_output=True)
    return folder / "python"


def test_the_template_builds_the_layer_with_its_makefile() -> None:
    layer = load_template()["Resources"]["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/incident_core"
    assert "build-SharedLayer:" in MAKEFILE.read_text()


def test_every_module_of_the_layer_is_imported_from_its_bytecode(tmp_path: Path) -> None:
    python = build(tmp_path)
    # The requirements and the suite's own package, with none of the dev environment's bytecode.
    assert (python / "incident_core" / "events.py").is_file()
    modules = "incident_core.events, incident_core.policy.model, pydantic, slack_sdk, aws_lambda_powertools"
    code = f"import sys; sys.path[0:0] = [{str(python)!r}]; import {modules}"
    verbose = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-v", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    # `python -v` says where each module's code object came from: its bytecode, or its source compiled.
    loaded = [
        line.split("code object from ", 1)[1].strip("'")
        for line in verbose.splitlines()
        if "code object from " in line and str(python) in line
    ]
    compiled_at_import = [origin for origin in loaded if not origin.endswith(".pyc")]
    assert len(loaded) > 100, "too few of the layer's modules imported to judge"
    assert compiled_at_import == []
    # Valid whatever the files' times after a zip and an unzip: the source is not compared.
    for pyc in loaded:
        (flags,) = struct.unpack("<I", Path(pyc).read_bytes()[4:8])
        assert flags == UNCHECKED_HASH, pyc


def test_sams_own_build_would_leave_the_layer_without_bytecode(tmp_path: Path) -> None:
    """What the Makefile replaces: BYTECODE=no builds it the old way (the benchmark's before figures)."""
    python = build(tmp_path, "BYTECODE=no")
    assert (python / "pydantic" / "main.py").is_file()
    assert not list(python.rglob("*.pyc"))
