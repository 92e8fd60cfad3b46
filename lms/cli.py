"""The ``flask lms …`` commands for administrators at the server.

Each command is one transaction: it commits when it succeeds and writes nothing when it fails,
exiting non-zero with a message that names what to fix.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import current_app

from lms import synthetic
from lms.accounts import service as accounts
from lms.cohorts import roster
from lms.cohorts import service as cohorts
from lms.cohorts.models import Cohort, Programme
from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core import jobs
from lms.core.errors import ServiceError
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.core.schemas import MAX_ID
from lms.core.seeding import SeedError, flatten_errors
from lms.curriculum.files import read_module_directory
from lms.curriculum.models import Module
from lms.curriculum.seed import sync_modules
from lms.demo import DEMO_PASSWORD, create_demo
from lms.feedback import reminders as feedback_reminders
from lms.feedback import service as feedback_service
from lms.framework.models import Behaviour, Theme
from lms.framework.seed import read_seed_file, sync_framework
from lms.framework.welsh import read_welsh_file, sync_welsh
from lms.interop import backup, case_import, delivery, framework_export, lrs, personal
from lms.interop.framework_export import FORMATS
from lms.messaging import reminders
from lms.messaging.transport import outbox_dir
from lms.outcomes import kept, releases
from lms.ratings import importer as ratings_importer


def one_transaction(command: Callable) -> Callable:
    """Commit when the command succeeds; otherwise roll back and exit 1 with the reasons."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
            db.session.commit()
            return result
        except SeedError as exc:
            db.session.rollback()
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise click.ClickException(
                f"{exc.source} was not loaded; nothing was written.\n{lines}") from None
        except ServiceError as exc:
            db.session.rollback()
            raise click.ClickException(describe(exc)) from None
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def describe(exc: ServiceError) -> str:
    """A service error as lines a person can act on."""
    if isinstance(exc.errors, dict) and "rows" in exc.errors:
        rows = "\n".join(f"  row {r['row']}: {'; '.join(r['errors'])}"
                         for r in exc.errors["rows"])
        return f"The roster was not imported; nothing was changed.\n{rows}"
    details = flatten_errors(exc.errors) if exc.errors else []
    return "\n".join([exc.message, *(f"  {line}" for line in details)])


def read_secret_from_stdin() -> str:
    """One line from standard input, without its line ending; refuse an empty one."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("No password was given on standard input.")
    return line


def find_user_or_fail(email: str):
    """The user with this e-mail address; exit 1 if there is none."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no user with the e-mail address {email}.")
    return user


def find_cohort_or_fail(cohort_id: int) -> Cohort:
    """The cohort with this id; exit 1 if there is none."""
    cohort = db.session.get(Cohort, cohort_id) if 0 < cohort_id <= MAX_ID else None
    if cohort is None:
        raise click.ClickException(f"There is no cohort with id {cohort_id}.")
    return cohort


@click.group()
def lms() -> None:
    """Administer the Leadership for Empowered and Healthy Communities Programme."""


@lms.command("seed")
@click.option("--file", "seed_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Framework seed file (default: seeds/framework.yaml).")
@click.option("--programme-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Programme seed file (default: seeds/programme.yaml).")
@click.option("--modules", "modules_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of module files (default: modules/).")
@one_transaction
def seed(seed_file: Path | None, programme_file: Path | None, modules_dir: Path | None) -> None:
    """Load the framework, the programme and the modules (each feature's seed module reads and
    checks its own files first); running it twice changes nothing."""
    seeds = Path(current_app.config["LMS_SEEDS_DIR"])
    framework_path = seed_file or seeds / "framework.yaml"
    programme_path = programme_file or seeds / "programme.yaml"
    folder = modules_dir or Path(current_app.config["LMS_MODULES_DIR"])
    # The framework's Welsh translation sits beside it: framework.cy.yaml.
    welsh_path = framework_path.with_name(f"{framework_path.stem}.cy.yaml")
    framework, programme = read_seed_file(framework_path), read_programme_file(programme_path)
    welsh = read_welsh_file(welsh_path) if welsh_path.is_file() else None
    modules = read_module_directory(folder)
    report = sync_framework(framework)
    in_welsh = sync_welsh(welsh or {"themes": {}, "behaviours": {}}, welsh_path.name)
    outcome = sync_programme(programme)
    loaded = sync_modules(modules, source=str(folder))
    click.echo(f"Framework loaded from {framework_path}: {report.summary()}.")
    click.echo(f"Its Welsh translation, {welsh_path.name if welsh else 'none found'}: "
               f"{in_welsh.summary()}.")
    click.echo(f"Programme loaded from {programme_path}: {outcome}.")
    click.echo(f"{len(modules)} modules loaded from {folder} "
               f"({sum(1 for m in modules if m['welsh'])} with a Welsh edition): "
               f"{loaded.summary()}.")


@lms.command("load-modules")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@one_transaction
def load_modules(directory: Path | None) -> None:
    """Load only the module files (default: modules/), as after editing one; every file is
    checked before any is stored."""
    folder = directory or Path(current_app.config["LMS_MODULES_DIR"])
    modules = read_module_directory(folder)
    report = sync_modules(modules, source=str(folder))
    click.echo(f"{len(modules)} modules loaded from {folder}: {report.summary()}.")


@lms.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The name people see.")
@click.option("--role", required=True, type=click.Choice(["admin", "tutor", "participant",
                                                           "sponsor"]))
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of inviting them.")
@click.option("--print-links", is_flag=True,
              help="Print their set-password link instead of e-mailing an invitation "
                   "(for offline use).")
@one_transaction
def create_user(email: str, name: str, role: str, password_stdin: bool,
                print_links: bool) -> None:
    """Create a user and e-mail them an invitation with a link to set their password (or
    print the link, or set the password from stdin)."""
    user = accounts.create_user(email, name, role,
                                invite=not (password_stdin or print_links))
    if password_stdin:
        accounts.set_password(user, read_secret_from_stdin())
        click.echo(f"Created {user.email} ({role}) with the password given.")
        return
    if not print_links:
        click.echo(f"Created {user.email} ({role}); an invitation to set their password is "
                   "queued for them (`flask lms worker` sends it).")
        return
    link = accounts.issue_password_link(user)
    hours = current_app.config["LMS_PASSWORD_LINK_HOURS"]
    click.echo(f"Created {user.email} ({role}). Send them this link to set their password "
               f"(it works once, for {hours} hours):")
    click.echo(link)


@lms.command("set-password")
@click.argument("email")
@one_transaction
def set_password(email: str) -> None:
    """Set a user's password, read from standard input (the password policy applies)."""
    user = find_user_or_fail(email)
    accounts.set_password(user, read_secret_from_stdin())
    click.echo(f"Password set for {user.email}; their other sessions, API tokens and "
               "password links have ended.")


@lms.command("password-link")
@click.argument("email")
@one_transaction
def password_link(email: str) -> None:
    """Print a new one-time link for a user to set their password."""
    click.echo(accounts.issue_password_link(find_user_or_fail(email)))


@lms.command("create-token")
@click.argument("email")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
@one_transaction
def create_token(email: str, days: int, name: str) -> None:
    """Create an API token for a user; the token is printed alone on the last line."""
    user = find_user_or_fail(email)
    token, secret = accounts.create_token(user, name, days)
    click.echo(f"Token {token.prefix}… for {user.email}, expires {token.expires_at:%Y-%m-%d}. "
               "It is shown only now:")
    click.echo(secret)


@lms.command("create-cohort")
@click.option("--name", required=True)
@click.option("--starts", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--ends", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--programme", "programme_id", type=int, default=None,
              help="Programme id (default: the programme).")
@one_transaction
def create_cohort(name: str, starts, ends, programme_id: int | None) -> None:
    """Create a cohort; its id is printed alone on the last line."""
    cohort = cohorts.create_cohort(name, starts.date(), ends.date(), programme_id)
    click.echo(f"Created cohort {cohort.name!r} ({cohort.starts_on} to {cohort.ends_on}).")
    click.echo(cohort.id)


@lms.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "cohort_id", required=True, type=int)
@click.option("--print-links", is_flag=True,
              help="Print each new person's set-password link instead of e-mailing them an "
                   "invitation (for offline use).")
@one_transaction
def import_roster(file: Path, cohort_id: int, print_links: bool) -> None:
    """Import people into a cohort from CSV (all rows or none); new people are invited by
    e-mail."""
    cohort = find_cohort_or_fail(cohort_id)
    result = roster.import_roster(cohort, file.read_bytes(), links=print_links)
    click.echo(f"Roster imported into {cohort.name!r}: {len(result.created_users)} new people, "
               f"{result.enrolled} enrolled, {result.updated} updated, "
               f"{result.sponsors_added} sponsors added, {result.unchanged} unchanged.")
    if result.created_users and not print_links:
        click.echo(f"{len(result.created_users)} invitations queued "
                   "(`flask lms worker` sends them).")
    for user, link in result.created_users if print_links else ():
        click.echo(f"  {user.email}: {link}")


@lms.command("worker")
@click.option("--threads", type=click.IntRange(1, 32), default=None,
              help="Jobs run at once (default LMS_WORKER_THREADS, 2).")
def worker(threads: int | None) -> None:
    """Run the job queue's worker: it sends e-mail, and runs the daily reminders and the
    weekly digests, until stopped (Ctrl-C or SIGTERM)."""
    app = current_app._get_current_object()
    count = threads or app.config["LMS_WORKER_THREADS"]
    where = describe_queue(app.config)
    mail = (f"SMTP {app.config['LMS_SMTP_HOST']}:{app.config['LMS_SMTP_PORT']}"
            if app.config["LMS_SMTP_HOST"] else f"files in {outbox_dir(app)}")
    click.echo(f"Worker: {count} threads on the {where} queue; mail goes to {mail}.")
    jobs.run_worker(app, count)


def describe_queue(config) -> str:
    """Where the queue is kept, in a few words."""
    if config["LMS_QUEUE"] == "redis":
        return "Redis"
    return "in-memory" if config["LMS_QUEUE"] == "memory" else "SQLite"


@lms.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Print who would get what; queue nothing.")
@one_transaction
def send_reminders(dry_run: bool) -> None:
    """Queue today's reminders and nudges now (the worker also does it daily); a second run
    the same day queues nothing."""
    planned = [item.describe() for item in reminders.send_reminders(dry_run=dry_run)]
    planned += feedback_reminders.remind_raters(dry_run=dry_run)
    for line in planned:
        click.echo(line)
    verb = "would be queued" if dry_run else "queued"
    click.echo(f"{len(planned)} reminders and nudges {verb}.")


@lms.command("import-ratings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "cohort_id", required=True, type=int)
@one_transaction
def import_ratings(file: Path, cohort_id: int) -> None:
    """Import self-ratings collected elsewhere (CSV email,phase,behaviour,value): all or none."""
    cohort = find_cohort_or_fail(cohort_id)
    result = ratings_importer.import_ratings(
        cohort, file.read_bytes(), progress=Progress.for_command("rows checked", "rows"))
    click.echo(f"Ratings imported into {cohort.name!r}: "
               f"{result.assessments_created} assessments created, "
               f"{result.assessments_submitted} submitted, {result.ratings_created} ratings "
               f"added, {result.ratings_updated} changed, {result.ratings_unchanged} unchanged.")


@lms.command("translation-status")
@click.option("--check", is_flag=True, help="Exit with 1 if anything is not yet in Welsh.")
def translation_status(check: bool) -> None:
    """What is not yet in Welsh: the catalog's messages, the framework's themes and
    behaviours, and the modules and activities (as stored: run `flask lms seed` first)."""
    missing = [*catalog_gaps(), *framework_gaps(), *programme_gaps(), *module_gaps()]
    for line in missing:
        click.echo(f"  {line}")
    click.echo("Everything is in Welsh." if not missing else
               f"{len(missing)} item(s) exist in English only (shown in English, marked "
               "lang=\"en\", on Welsh pages).")
    if check and missing:
        sys.exit(1)


def catalog_gaps() -> list[str]:
    """The Welsh catalog's messages left empty or fuzzy (the pages would show English)."""
    path = Path(current_app.root_path) / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    gaps = []
    for message in catalog:
        strings = [message.string] if isinstance(message.string, str) else message.string
        if message.id and (message.fuzzy or not all(s and s.strip() for s in strings)):
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            gaps.append(f"catalog: {msgid[:70]}")
    click.echo(f"Catalog: {len(catalog) - len(gaps)} of {len(catalog)} messages in Welsh "
               f"({path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}).")
    return gaps


def framework_gaps() -> list[str]:
    """The themes and behaviours without Welsh words (seeds/framework.cy.yaml)."""
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()
    behaviours = db.session.scalars(sa.select(Behaviour).join(Theme)
                                    .order_by(Theme.position, Behaviour.position)).all()
    gaps = [f"framework: theme {t.code} ({'title' if not t.title_cy else 'tagline'})"
            for t in themes if not (t.title_cy and t.tagline_cy)]
    gaps += [f"framework: behaviour {b.code}" for b in behaviours if not b.statement_cy]
    click.echo(f"Framework: {sum(bool(t.title_cy) for t in themes)} of {len(themes)} themes "
               f"and {sum(bool(b.statement_cy) for b in behaviours)} of {len(behaviours)} "
               "behaviours in Welsh.")
    return gaps


def programme_gaps() -> list[str]:
    """The programme's name, description and scale labels without Welsh (seeds/programme.yaml's
    ``_cy`` keys)."""
    gaps = []
    for programme in db.session.scalars(sa.select(Programme).order_by(Programme.id)):
        welsh = programme.welsh_words()
        texts = [("name", programme.name), ("description", programme.description),
                 *[(f"scale point {p['value']}", p["label"]) for p in programme.rating_scale]]
        gaps += [f"programme {programme.slug}: {what}" for what, english in texts
                 if english and english not in welsh]
    click.echo(f"Programme: {'everything' if not gaps else f'{len(gaps)} text(s) not'} in Welsh.")
    return gaps


def module_gaps() -> list[str]:
    """The modules without a Welsh edition (modules/cy/), and activities it leaves out."""
    modules = db.session.scalars(sa.select(Module).where(Module.retired_at.is_(None))
                                 .order_by(Module.position)).all()
    gaps = []
    for module in modules:
        if not module.title_cy:
            gaps.append(f"module: {module.slug} (no Welsh edition)")
            continue
        gaps += [f"module: {module.slug}: activity {a.key}" for a in module.activities
                 if a.retired_at is None and not a.text_html_cy]
    click.echo(f"Modules: {sum(bool(m.title_cy) for m in modules)} of {len(modules)} with a "
               "Welsh edition.")
    return gaps


@lms.command("rebuild-tallies")
@one_transaction
def rebuild_tallies() -> None:
    """Count every cohort's outcomes afresh from the ratings and keep them ready: after a
    migration, a restore or a repair; all or nothing."""
    started = time.perf_counter()
    cohorts, rows = kept.rebuild_all(Progress.for_command("outcome tallies", "cohorts"))
    click.echo(f"Rebuilt the outcome tallies of {cohorts} cohort(s): {rows:,} rows, in "
               f"{time.perf_counter() - started:.1f} s (before the commit).")


@lms.command("export-framework")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS),
              help="case: an IMS CASE 1.0 package; moodle: a competency framework CSV; "
                   "canvas: an outcomes CSV.")
@click.option("--framework", "which", help="case: a linked framework's code (nhs-lf, lqf, "
              "hay-ccg) for its own package, which this framework's links point into.")
@click.option("--idnumber", help="moodle: the framework's ID number (default: the slug and "
              "edition, e.g. lehc-july-2012).")
@click.option("--guid-prefix", help="canvas: the start of every vendor GUID (default: the "
              "slug); another prefix imports as separate outcomes.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of standard output.")
@one_transaction
def export_framework(fmt: str, which: str | None, idnumber: str | None,
                     guid_prefix: str | None, out: Path | None) -> None:
    """Export the framework for another system (CASE, Moodle or Canvas)."""
    text = framework_export.export_framework(fmt, which, idnumber, guid_prefix)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise click.ClickException(f"Cannot write {out}: {exc.strerror}.") from None
    click.echo(f"Wrote the framework as {fmt} to {out}.", err=True)


@lms.command("import-framework")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("linked", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@one_transaction
def import_framework(file: Path, linked: tuple[Path, ...]) -> None:
    """Load the framework from an IMS CASE 1.0 package (JSON): all of it or nothing.

    LINKED are the packages of the frameworks its themes link to (as `export-framework
    --format case --framework CODE` writes them); headings not in them are looked up among
    those already stored.
    """
    report = case_import.import_case(file.read_bytes(), str(file),
                                     [(path.read_bytes(), str(path)) for path in linked])
    click.echo(f"Framework imported from {file}: {report.summary()}.")


@lms.command("push-xapi")
@click.option("--lrs", "lrs_url", required=True, help="The LRS's xAPI endpoint, e.g. "
              "https://lrs.example.org/xapi (statements are sent to …/statements).")
@click.option("--cohort", "cohort_id", required=True, type=int)
@click.option("--batch", "batch_size", default=500, show_default=True,
              type=click.IntRange(1, 5000), help="Statements per request.")
def push_xapi(lrs_url: str, cohort_id: int, batch_size: int) -> None:
    """Send a cohort's xAPI statements to a Learning Record Store: those it does not have yet,
    and voidings of those the service no longer asserts.

    Credentials come from LMS_XAPI_USERNAME and LMS_XAPI_PASSWORD (HTTP Basic). The service
    remembers what each LRS has stored, so running it again sends only what changed; a
    statement the LRS refuses is named at the end and does not stop the rest.
    """
    cohort = find_cohort_or_fail(cohort_id)
    try:
        client = lrs.LRSClient(lrs_url, os.environ.get("LMS_XAPI_USERNAME"),
                               os.environ.get("LMS_XAPI_PASSWORD"))
        report = delivery.push_cohort(
            cohort, client, batch_size,
            progress=Progress.for_command("statements pushed", "statements"))
    except lrs.LRSError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.rollback()  # only read: what was sent is written on its own connection
    click.echo(f"Pushed {cohort.name!r} to {client.url}: {report.summary()}.")
    if report.reasserted:
        click.echo(f"{len(report.reasserted)} statement(s) assert again a fact the LRS has "
                   "voided; an LRS keeps a voided statement voided, so they stay out.")
    if report.refused:
        for statement_id, reason in report.refused[:20]:
            click.echo(f"  refused {statement_id}: {reason}", err=True)
        more = len(report.refused) - 20
        raise click.ClickException(f"The LRS refused {len(report.refused)} statement(s)"
                                   + (f" ({more} more not listed)" if more > 0 else "")
                                   + "; the others were pushed. Run again once fixed.")


@lms.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (JSON).")
def export_backup(out: Path) -> None:
    """Write every table of the service to one versioned JSON backup."""
    text = backup.export_json(Progress.for_command("tables read", "tables"))
    db.session.rollback()  # only read
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"Cannot write {out}: {exc.strerror}.") from None
    click.echo(f"Wrote the backup to {out}.")


@lms.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--merge", is_flag=True, help="Into a non-empty database: add only the rows "
              "whose ids it does not hold (refused without this).")
@one_transaction
def import_backup(file: Path, merge: bool) -> None:
    """Restore a backup made by `flask lms export`: all of it or nothing."""
    try:
        document = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError too
        raise click.ClickException(f"{file} is not a JSON backup: "
                                   f"{exc or 'nested too deeply'}.") from None
    try:
        restored = backup.import_document(document, str(file), merge=merge,
                                          progress=Progress.for_command("tables restored",
                                                                        "tables"))
    except sa.exc.IntegrityError as exc:
        raise click.ClickException(
            f"{file} was not restored; nothing was written. A row clashes with one already "
            f"stored: {str(exc.orig).splitlines()[0][:200]}") from None
    click.echo(f"Restored {restored.written} rows from {file}.")
    if restored.skipped_erased:
        click.echo(f"Skipped {restored.skipped_erased} rows of erased people (they are in "
                   "the erasure register, so a restore never brings them back).")


@lms.command("export-person")
@click.argument("email")
def export_person(email: str) -> None:
    """Print everything held about a person, as JSON (the right of access)."""
    user = find_user_or_fail(email)
    click.echo(json.dumps(personal.person_export(user), ensure_ascii=False, indent=1))
    db.session.rollback()  # only read


@lms.command("erase-person")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@one_transaction
def erase_person(email: str, yes: bool) -> None:
    """Erase a person (the right to erasure), keeping aggregate results as they are."""
    user = find_user_or_fail(email)
    if not yes:
        raise click.ClickException(f"Erasing {email} cannot be undone; run again with --yes.")
    personal.erase_person(user)
    click.echo(f"Erased {email}: the account is now {user.email}, disabled.")


@lms.command("erase-rater")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@one_transaction
def erase_rater(email: str, yes: bool) -> None:
    """Erase a 360 rater (who has no account): their name and address go from every request
    sent to them; their submitted answers stay, anonymous."""
    if not yes:
        raise click.ClickException(f"Erasing {email} cannot be undone; run again with --yes.")
    found = feedback_service.erase_rater(email)
    if not found:
        raise click.ClickException(f"No 360 feedback request was sent to {email}.")
    click.echo(f"Erased {email} from {found} feedback request{'s' if found != 1 else ''}.")


@lms.command("publish-outcomes")
@click.option("--cohort", "cohort_id", required=True, type=int,
              help="The cohort whose outcomes to release to its sponsors and participants.")
@click.option("--dry-run", is_flag=True, help="Check what the release would reveal; write "
              "nothing.")
@one_transaction
def publish_outcomes(cohort_id: int, dry_run: bool) -> None:
    """Release a cohort's outcomes: sponsors and participants see released figures only. A
    release that would let its difference from the last one single out fewer than the
    programme's minimum is refused, saying why (exit 1)."""
    outcome = releases.publish(find_cohort_or_fail(cohort_id), dry_run=dry_run)
    click.echo(outcome.message)


@lms.command("demo")
@click.option("--password-stdin", is_flag=True, help="Use this password for every demo user.")
@one_transaction
def demo(password_stdin: bool) -> None:
    """Create a demo cohort with a user of every role (development only)."""
    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException("Demo data is for development; LMS_ENV is production.")
    password = read_secret_from_stdin() if password_stdin else DEMO_PASSWORD
    logins = create_demo(password)
    click.echo("Demo logins (sign in at /sign-in; every page has a Cymraeg / English link):")
    for email, role, language in logins:
        reads = "  (reads it in Cymraeg)" if language == "cy" else ""
        click.echo(f"  {role:<12} {email:<36} password: {password}{reads}")


@lms.command("demo-data")
@click.option("--participants", type=int, required=True,
              help="How many synthetic participants (up to 200,000).")
@click.option("--cohorts", type=int, required=True, help="How many cohorts they are spread over.")
@click.option("--seed", type=int, default=2012, show_default=True,
              help="Seed of the random choices: the same seed gives the same programme.")
@click.option("--password-stdin", is_flag=True, help="Use this password for every synthetic "
              "user (otherwise the demo password).")
@one_transaction
def demo_data(participants: int, cohorts: int, seed: int, password_stdin: bool) -> None:
    """Add a synthetic programme at scale (benchmarks, load tests; not for production)."""
    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException("Synthetic data is not for production; LMS_ENV is "
                                   "production.")
    password = read_secret_from_stdin() if password_stdin else DEMO_PASSWORD
    started = time.perf_counter()
    summary = synthetic.generate(participants, cohorts, password, seed=seed,
                                 progress=Progress.for_command("people", "participants"))
    click.echo(f"Added {summary.cohorts} cohorts, {summary.participants:,} participants, "
               f"{summary.tutors} tutors, {summary.organisations} new organisations, "
               f"{summary.assessments:,} assessments, {summary.ratings:,} ratings and "
               f"{summary.activity_records:,} activity records in "
               f"{time.perf_counter() - started:.1f} s (before the commit).")
    click.echo(f"Synthetic users are {synthetic.DOMAIN} addresses (p<run>.<n>, t<run>.<n>); "
               "their password is the demo one unless --password-stdin gave another.")
