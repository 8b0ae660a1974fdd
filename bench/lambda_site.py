"""What a function's Python finds on Lambda, built for this machine, for the cold-start children.

- /opt/python: the shared layer as `sam build` makes it (layers/incident_core/Makefile: its requirements,
  incident_core and their bytecode), for this machine's architecture instead of arm64;
- /var/runtime: the runtime's boto3 and botocore (here the versions of the dev environment: the
  runtime's own vary by region and runtime release), compiled, as the runtime ships them.

The children run on these alone (`python -I -S -B`). Not on the dev virtualenv: it holds packages Lambda
does not have, which botocore and urllib3 import when they find them (awscrt, pyOpenSSL: about 85 ms more
on both sides of every comparison); and nothing writes bytecode, as /opt is read-only on Lambda.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from functools import cache
from importlib.metadata import version
from pathlib import Path

from bench.coldstart import ROOT

SITES = ROOT / ".bench"
LAYER_MAKEFILE = ROOT / "layers" / "incident_core" / "Makefile"
CHILD_FLAGS = ("-I", "-S", "-B")  # no environment paths, no site-packages, no bytecode written
PATH_VARIABLE = "BENCH_SYS_PATH"  # the child's sys.path after its handler's folder (os.pathsep-joined)


@cache
def layer(bytecode: bool = True) -> Path:
    """The layer's python/ folder, built once per benchmark run into a fresh folder (incident_core changes
    between runs; the packages come from pip's cache). `bytecode=False` gives what SAM's python3.13 build
    made before the Makefile."""
    artifacts = SITES / ("layer" if bytecode else "layer-without-bytecode")
    shutil.rmtree(artifacts, ignore_errors=True)  # nothing of an older build lingers
    subprocess.run(
        [
            "make",
            "--silent",
            "-f",
            str(LAYER_MAKEFILE),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"ARCH={platform.machine()}",
            f"BYTECODE={'yes' if bytecode else 'no'}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return artifacts / "python"


def runtime() -> Path:
    """boto3 and botocore as the python3.13 runtime has them (installed once per version pair)."""
    pins = [f"boto3=={version('boto3')}", f"botocore=={version('botocore')}"]
    folder = SITES / "runtime"
    stamp = folder / ".pins.json"
    if stamp.exists() and json.loads(stamp.read_text()) == pins:
        return folder
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-conflicts",  # with the dev environment's packages, which the children never see
            "--upgrade",
            "--target",
            str(folder),
            *pins,
        ],
        check=True,
    )
    stamp.write_text(json.dumps(pins))
    return folder


def lambda_path(bytecode: bool = True) -> list[str]:
    """sys.path after the handler's folder, in Lambda's order: the layer, then the runtime."""
    return [str(layer(bytecode)), str(runtime())]
