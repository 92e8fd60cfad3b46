"""The job queue (Huey): work that leaves the service or can wait, run by `flask lms worker`.

Each app has its own Huey, kept where LMS_QUEUE says: an SQLite file under instance/ (the
embedded default), Redis (when LMS_REDIS_URL is set, so workers on several hosts share one
queue) or memory (tests that run jobs in their own process). Features hand their jobs to
``init_jobs`` as ``Job``s; each runs inside the app's context, and its database session is
removed after it, committed or not.

A job queue is not a record: Huey takes a task off the queue before running it, so a worker
killed mid-task loses that task. Whatever must not be lost is kept in the database (the
e-mail outbox) and a periodic job picks up what a lost task left.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from lms.core.extensions import db

log = logging.getLogger(__name__)

EXTENSION = "lms_jobs"
#: Set on ``flask.g`` while a job runs: its SQLite transactions take the write lock when they
#: begin (lms.app.tune_sqlite), as a writing request's do.
WRITES = "lms_job_writes"


@dataclass(frozen=True)
class Job:
    """A function the worker runs: on demand (``schedule`` None) or periodically."""

    name: str
    function: Callable[..., Any]
    #: Keyword arguments of ``huey.crontab`` ("minute", "hour", "day_of_week"…) for a
    #: periodic job.
    schedule: dict[str, str] | None = None
    #: Queued once whenever a worker starts (to pick up what a stopped worker left).
    at_startup: bool = False


def make_huey(app: Flask) -> Huey:
    """The Huey that LMS_QUEUE names, for this app."""
    config = app.config
    name = config["LMS_QUEUE_NAME"]
    kind = config["LMS_QUEUE"]
    # No job's return value is read, so none is kept: Huey would otherwise store every one
    # in the queue's storage for ever.
    if kind == "redis":
        return RedisHuey(name, url=config["LMS_REDIS_URL"], results=False)
    if kind == "memory":
        return MemoryHuey(name, results=False)
    path = Path(config["LMS_QUEUE_FILE"] or Path(app.instance_path) / "queue.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def in_app_context(app: Flask, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` run inside ``app``'s context, its session removed after it."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with app.app_context():
            setattr(g, WRITES, True)
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def init_jobs(app: Flask, jobs: list[Job]) -> None:
    """Give ``app`` its queue with ``jobs`` registered on it."""
    huey = make_huey(app)
    tasks = {}
    for job in jobs:
        wrapped = in_app_context(app, job.function)
        if job.schedule is None:
            tasks[job.name] = huey.task(name=job.name)(wrapped)
        else:
            tasks[job.name] = huey.periodic_task(crontab(**job.schedule), name=job.name)(wrapped)
    app.extensions[EXTENSION] = Queue(huey, tasks,
                                      [job.name for job in jobs if job.at_startup])


@dataclass
class Queue:
    """An app's Huey and the tasks registered on it, by name."""

    huey: Huey
    tasks: dict[str, Any]
    startup: list[str]

    def enqueue(self, name: str, *args, delay: float | None = None) -> None:
        """Put the job ``name`` on the queue, to run now or after ``delay`` seconds."""
        task = self.tasks[name]
        if delay:
            task.schedule(args=args, delay=delay)
        else:
            task(*args)

    def run_pending(self) -> int:
        """Run every task waiting on the queue in this process (for tests and commands that
        must not wait for a worker); how many ran."""
        count = 0
        while (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            count += 1
        return count


def queue() -> Queue:
    """The current app's queue."""
    return current_app.extensions[EXTENSION]


#: The longest a worker waits between looks at a queue kept in SQLite (Redis wakes it).
MAX_POLL_SECONDS = 2.0


def run_worker(app: Flask, threads: int) -> None:
    """Consume the app's queue until stopped (SIGINT or SIGTERM), with its periodic jobs,
    after queueing the jobs that run at every start."""
    jobs = app.extensions[EXTENSION]
    if app.config["LMS_LOG_LEVEL"] != "DEBUG":
        # Huey says every job it starts and ends (the sweep's every minute); the jobs say
        # what they did themselves.
        logging.getLogger("huey").setLevel(logging.WARNING)
    for name in jobs.startup:
        jobs.enqueue(name)
    consumer = jobs.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, check_worker_health=True,
        max_delay=MAX_POLL_SECONDS)
    consumer.run()
