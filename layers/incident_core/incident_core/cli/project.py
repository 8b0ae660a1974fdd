"""Where the team's config/ is: given with --config, else the nearest config/ from the current folder up,
so incidentctl works from anywhere inside the project."""

from __future__ import annotations

import argparse
from pathlib import Path


class ConfigNotFound(ValueError):
    pass


def config_argument(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    # Accepted before or after the command; a subcommand's copy must not reset the top level's value.
    parser.add_argument(
        "--config",
        metavar="DIR",
        default=None if top_level else argparse.SUPPRESS,
        help="the project's config/ folder (default: the nearest config/ from this folder up)",
    )


def find_config_dir(given: str | None, start: Path | None = None) -> Path | None:
    if given:
        return Path(given)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "config" / "policy.yaml").is_file() or (folder / "config" / "journeys.yaml").is_file():
            return folder / "config"
    return None


def config_file(args: argparse.Namespace, name: str) -> str:
    """The path of config/<name> for this invocation, or ConfigNotFound saying how to give it."""
    folder = find_config_dir(getattr(args, "config", None))
    if folder is None:
        raise ConfigNotFound(
            f"no config/{name} in {Path.cwd()} or any folder above it: run incidentctl inside the project, "
            "or give --config DIR (the project's config/ folder)"
        )
    path = folder / name
    if not path.is_file():
        raise ConfigNotFound(f"{path} does not exist (--config names the folder holding {name})")
    return str(path)
