"""The ``flask lms …`` commands for administrators at the server."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lms.extensions import db
from lms.framework.seed import SeedError, read_seed_file, sync_framework


@click.group()
def lms() -> None:
    """Administer the Leadership for Empowered and Healthy Communities Programme."""


@lms.command("seed")
@click.option(
    "--file",
    "seed_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Framework seed file (default: seeds/framework.yaml).",
)
def seed(seed_file: Path | None) -> None:
    """Load the framework from its seed file; running it twice changes nothing."""
    path = seed_file or Path(current_app.config["LMS_SEEDS_DIR"]) / "framework.yaml"
    try:
        report = sync_framework(read_seed_file(path))
        db.session.commit()
    except SeedError as exc:
        db.session.rollback()
        lines = "\n".join(f"  {problem}" for problem in exc.problems)
        raise click.ClickException(
            f"{exc.source} was not loaded; nothing was written.\n{lines}"
        ) from None
    click.echo(f"Framework loaded from {path}: {report.summary()}.")
