"""What a long-running server process does once its app is loaded."""

from __future__ import annotations

import gc


def freeze_loaded_objects() -> None:
    """Move every object alive now (modules, the app, SQLAlchemy's mappings, scipy,
    matplotlib: a few hundred thousand) out of the garbage collector's sight.

    They live as long as the process, yet every full collection walked them all: on a
    cohort's 1,000-person progress, two requests in fifteen took about 150 ms longer for it
    (measured on the benchmark's programme, bench/run.py). Frozen, a full collection walks
    only what requests made. The Python documentation recommends ``gc.freeze`` for this.
    """
    gc.collect()
    gc.freeze()
