"""Long commands show their progress: a bar on a terminal, plain lines otherwise, and a
summary with the time taken."""

from __future__ import annotations

import io

from lms.core.progress import Progress


class Terminal(io.StringIO):
    """Output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_with_counts_rate_and_time_left():
    out = Terminal()
    progress = Progress("rows checked", "rows", out, enabled=True)
    progress.start(200)
    for _ in range(200):
        progress.advance()
    summary = progress.finish()
    text = out.getvalue()
    assert "rows checked" in text and "200/200" in text and "rows/s" in text
    assert "\r" in text  # redrawn in place
    assert summary.startswith("rows checked: 200 rows in ") and " s (" in summary
    assert text.rstrip().endswith(summary)


def test_elsewhere_plain_lines_then_a_summary():
    out = io.StringIO()
    progress = Progress("tables read", "tables", out, interval=0, enabled=True)
    progress.start(4)
    for _ in range(4):
        progress.advance()
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[:4] == [line for line in lines[:4] if line.startswith("tables read: ")]
    assert lines[1].startswith("tables read: 2 of 4 tables (50%), ")
    assert lines[-1].startswith("tables read: 4 tables in ")
    assert "\r" not in out.getvalue()


def test_an_unknown_total_counts_without_a_share():
    out = Terminal()
    progress = Progress("statements sent", "statements", out, interval=0, enabled=True)
    progress.start(None)
    progress.advance(500)
    assert out.getvalue().startswith("statements sent: 500 statements, ")


def test_a_service_without_a_watcher_writes_nothing(capsys):
    progress = Progress()
    progress.start(3)
    progress.advance(3)
    progress.finish()
    assert capsys.readouterr() == ("", "")


def test_the_import_command_reports_progress_on_standard_error(app, seeded, tmp_path):
    from lms.core.extensions import db
    from tests import builders as b

    cohort = b.make_cohort()
    person = b.make_user("participant", email="pia@example.org")
    b.enrol(person, cohort)
    db.session.commit()
    path = tmp_path / "ratings.csv"
    path.write_text("email,phase,behaviour,value\n" + "".join(
        f"pia@example.org,pre,SI.{n},3\n" for n in range(1, 8)))
    result = app.test_cli_runner().invoke(
        args=["lms", "import-ratings", str(path), "--cohort", str(cohort.id)],
        env={"LMS_PROGRESS_SECONDS": "0"})
    assert result.exit_code == 0, result.output
    assert "rows checked: 7 of 7 rows (100%)" in result.stderr
    assert "rows checked: 7 rows in " in result.stderr
    assert "rows checked" not in result.stdout and "Ratings imported" in result.stdout
