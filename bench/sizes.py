"""Size of each built function and layer (sam build's output): the sum of its files, and the same
compressed into a zip in memory, as `sam package` uploads it (deflate)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from bench.coldstart import ROOT


def folder_size(folder: Path) -> dict[str, Any]:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return {
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
        "zip_bytes": len(buffer.getvalue()),
    }


def built_sizes(build_dir: Path) -> dict[str, Any]:
    """{logical id: sizes} for everything `sam build` wrote, and the config layer from its source (it has
    no build method: sam packages config/ as it is)."""
    if not (build_dir / "template.yaml").exists():
        return {"error": f"no sam build output in {build_dir}: run `sam build` first"}
    sizes = {folder.name: folder_size(folder) for folder in sorted(build_dir.iterdir()) if folder.is_dir()}
    sizes["ConfigLayer (source, config/)"] = folder_size(ROOT / "config")
    return sizes
