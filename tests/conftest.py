"""Test set-up: loads tests/fixtures.py (the app, the database, the shared fixtures) in every
process that runs tests.

Not in pytest-xdist's controller, which only hands tests to the workers: importing the app
there took about 4 s of the fast tier's minute before any worker could start.
"""

from __future__ import annotations

import gc

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Load the shared fixtures, unless this process is the controller of parallel workers."""
    parallel = getattr(config.option, "dist", "no") != "no"
    if not parallel or hasattr(config, "workerinput"):
        config.pluginmanager.import_plugin("tests.fixtures")
        # The app, scipy, matplotlib and hypothesis leave a heap of long-lived objects that
        # the garbage collector would otherwise walk again at every full collection; kept
        # out of its sight, and collected less often, the fast tier ran about 15% quicker.
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
