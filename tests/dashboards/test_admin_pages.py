"""Administrators' pages: cohorts, rosters, users, tokens, the audit log."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import Cohort
from lms.core.extensions import db

HEADER = "email,name,organisation,organisation_type,sector,leadership_level,role\n"


def users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def upload(admin, cohort_id: int, text: bytes | str, name: str = "roster.csv"):
    """Send a roster file through the import form."""
    data = text.encode() if isinstance(text, str) else text
    return admin.post(f"/admin/cohorts/{cohort_id}/roster", {"file": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")


def test_a_roster_with_bad_rows_is_refused_row_by_row(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    before = users()
    page = upload(admin, cohorts.cohort_id, HEADER
                  + "ok.person@example.org,Ok Person,Northshire County Council,local_authority,"
                    "commissioning,manager,participant\n"
                  + "not-an-address,Someone,Northshire County Council,local_authority,"
                    "commissioning,manager,participant\n"
                  + "x@example.org,X,Somewhere,spaceship,commissioning,manager,participant\n")
    assert page.status_code == 422
    report = page.text[page.text.index('id="row-report"'):]
    assert re.search(r'<th scope="row" class="nhsuk-table__header">3</th>', report)
    assert re.search(r'<th scope="row" class="nhsuk-table__header">4</th>', report)
    assert "2 rows have problems. Nothing was changed." in page.text
    assert users() == before


def checked_file(page) -> str:
    """The checked file the preview's confirmation form carries back."""
    return re.search(r'name="checked" value="([^"]*)"', page.text).group(1)


def test_a_roster_is_previewed_then_imported_and_the_new_people_invited(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    before = users()
    preview = upload(admin, cohorts.cohort_id, HEADER
                     + "new.person@example.org,New Person,Northshire County Council,"
                       "local_authority,commissioning,manager,participant\n"
                     + "pat@example.org,Pat Jones,Northshire County Council,local_authority,"
                       "commissioning,senior_leader,participant\n"
                     + "second@example.org,Second Person,Harbour Home Care,"
                       "independent_provider,providing,front_line,participant\n")
    assert preview.status_code == 200
    assert "Check what the import will do" in preview.text and "Roster imported" not in preview.text
    summary = preview.text[preview.text.index('id="plan-summary"'):]
    assert "New people added and invited by email: <strong>2</strong>" in summary
    assert "Already enrolled, with their organisation or level updated: <strong>1</strong>" \
        in summary
    assert "New organisations: <strong>1</strong> (Harbour Home Care)" in summary
    assert users() == before  # nothing is written by the preview
    page = admin.post(f"/admin/cohorts/{cohorts.cohort_id}/roster",
                      {"checked": checked_file(preview)})
    assert page.status_code == 200
    assert "Roster imported" in page.text and "/set-password/" not in page.text
    assert "Invitations" in page.text and "new.person@example.org" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert users() == before + 2
    listed = admin.get("/admin/messages?kind=invitation")
    assert listed.status_code == 200 and "new.person@example.org" in listed.text


def test_a_tampered_confirmation_is_refused(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    for checked in ("not base64!", "", "c29tZXRoaW5n"):
        page = admin.post(f"/admin/cohorts/{cohorts.cohort_id}/roster", {"checked": checked})
        assert page.status_code == 422, checked


def test_the_roster_template_and_allowed_values(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    template = admin.get("/admin/roster-template.csv")
    assert template.mimetype == "text/csv"
    assert template.text == HEADER.replace("\n", "\r\n")
    page = admin.get(f"/admin/cohorts/{cohorts.cohort_id}/roster").text
    for value in ("local_authority", "voluntary_community", "commissioning", "senior_leader",
                  "sponsor"):
        assert f"<code>{value}</code>" in page


def test_a_missing_or_unreadable_roster_file_is_explained(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    empty = admin.post(f"/admin/cohorts/{cohorts.cohort_id}/roster", {},
                       content_type="multipart/form-data")
    assert empty.status_code == 422 and "Choose a CSV file to upload." in empty.text
    binary = upload(admin, cohorts.cohort_id, b"\xff\xfe\x00\x00garbage")
    assert binary.status_code == 422 and "is not UTF-8 text" in binary.text


def dated(name: str, day: str, month: str, year: str) -> dict[str, str]:
    """A date as the NHS.UK date input posts it."""
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def test_a_new_cohort_is_checked_and_added(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    bad = admin.post("/admin/cohorts/new", {"name": "", **dated("starts_on", "30", "2", "2027"),
                                            **dated("ends_on", "1", "1", "2027")})
    assert bad.status_code == 422
    assert "Give the cohort a name." in bad.text and 'href="#starts_on-day"' in bad.text
    assert "First day must be a real date." in bad.text
    missing = admin.post("/admin/cohorts/new", {"name": "C"})
    assert "First day: enter a day, month and year." in missing.text
    backwards = admin.post("/admin/cohorts/new", {"name": "C",
                                                  **dated("starts_on", "1", "3", "2027"),
                                                  **dated("ends_on", "1", "1", "2027")})
    assert "A cohort cannot end before it starts." in backwards.text
    assert 'href="#ends_on-day"' in backwards.text  # the refusal sits on the field it names
    taken = admin.post("/admin/cohorts/new", {"name": "Cohort A",
                                              **dated("starts_on", "1", "3", "2027"),
                                              **dated("ends_on", "1", "9", "2027")})
    assert taken.status_code == 422 and "already has a cohort called" in taken.text
    made = admin.post("/admin/cohorts/new", {"name": "Cohort C",
                                             **dated("starts_on", "1", "3", "2027"),
                                             **dated("ends_on", "1", "9", "2027")})
    assert made.status_code == 302 and made.headers["Location"].endswith("/settings")
    assert db.session.scalar(sa.select(Cohort).filter_by(name="Cohort C")) is not None


def test_users_are_added_once_and_invited(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    made = admin.post("/admin/users", {"email": "Robin@Example.org", "display_name": "Robin",
                                       "role": "tutor"})
    assert made.status_code == 302
    shown = admin.get(made.headers["Location"])
    assert "An invitation to set their password is on its way" in shown.text
    assert "/set-password/" not in shown.text
    again = admin.post("/admin/users", {"email": "robin@example.org", "display_name": "Robin",
                                        "role": "tutor"})
    assert again.status_code == 422 and "already exists" in again.text
    bad_role = admin.post("/admin/users", {"email": "x@example.org", "display_name": "X",
                                           "role": "superuser"})
    assert bad_role.status_code == 422
    no_role = admin.post("/admin/users", {"email": "y@example.org", "display_name": "Y"})
    assert no_role.status_code == 422 and "Choose the person&#39;s role." in no_role.text
    assert db.session.scalar(sa.select(User).filter_by(email="y@example.org")) is None
    form = admin.get("/admin/users").text
    # "Choose a role" comes first and no role is chosen for the administrator.
    assert re.search(r'<select[^>]*name="role"[^>]*>\s*<option value=""', form)
    assert " selected" not in form.split('name="role"')[1].split("</select>")[0]
    listing = admin.get("/admin/users?q=robin")
    assert "robin@example.org" in listing.text and "pat@example.org" not in listing.text


def test_an_administrator_cannot_disable_themselves(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    me = db.session.scalar(sa.select(User.id).filter_by(email=cohorts.emails["admin"]))
    assert admin.post(f"/admin/users/{me}/active", {"active": "no"}).status_code == 409
    assert db.session.get(User, me).active


def test_page_numbers_are_checked(browse, cohorts):
    admin = browse(cohorts.emails["admin"])
    for path in ("/admin/users?page=abc", "/admin/audit?page=0", "/admin/audit?page=-1",
                 "/admin/audit?page=٢"):
        page = admin.get(path)
        assert page.status_code == 422, path
        assert "page number" in page.text


def test_a_token_is_shown_once_and_works(browse, cohorts, client):
    tutor = browse(cohorts.emails["tutor"])
    page = tutor.post("/account/tokens", {"name": "spreadsheet", "days": "7"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="new-token" class="lms-token">([^<]+)</code>', page.text)[1]
    assert secret not in tutor.get("/account").text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 200
    bad = tutor.post("/account/tokens", {"name": "", "days": "9999"})
    assert bad.status_code == 422 and "Choose from 1 to 365 days." in bad.text


def test_the_add_user_form_offers_every_role():
    from lms.accounts.models import ROLES
    from lms.dashboards.forms import ROLE_LABELS

    assert set(ROLE_LABELS) == set(ROLES)
