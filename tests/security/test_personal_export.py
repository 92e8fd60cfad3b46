"""Issue 19's review, row 10: a participant's export shows their own data, not the staff's.

An administrator (from one network address) sends Aisha a password link; Aisha (from
another) downloads her data: the event is there, by "an administrator", with neither the
administrator's address nor theirs.
"""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.core.extensions import db
from tests import builders as b

STAFF_ADDRESS, HER_ADDRESS = "10.0.0.7", "10.0.0.99"


def test_the_export_names_staff_by_role_without_their_addresses(app):
    admin = b.make_user("admin", email="admin.person@example.org", password=b.PASSWORD)
    aisha = b.make_user("participant", email="aisha.khan@example.org", name="Aisha Khan",
                        password=b.PASSWORD)
    db.session.commit()
    staff = app.test_client()
    sent = staff.post(f"/api/v1/users/{aisha.id}/password-link", headers=b.bearer(admin),
                      environ_base={"REMOTE_ADDR": STAFF_ADDRESS})
    assert sent.status_code == 201
    her = app.test_client()
    assert b.sign_in(her, "aisha.khan@example.org", REMOTE_ADDR=HER_ADDRESS).status_code == 302
    db.session.expire_all()
    answer = her.get("/api/v1/me/export", environ_base={"REMOTE_ADDR": HER_ADDRESS})
    assert answer.status_code == 200
    text, data = answer.get_data(as_text=True), answer.get_json()
    assert "admin.person@example.org" not in text and STAFF_ADDRESS not in text
    events = {event["action"]: event for event in data["audit_event"]}
    link = events["user.password_link"]
    assert (link["actor"], link["actor_id"], link["ip"]) == ("an administrator", None, None)
    # Her own actions keep who did them and from where: that is her data.
    assert (events["auth.sign_in"]["actor"], events["auth.sign_in"]["ip"]) == (
        "aisha.khan@example.org", HER_ADDRESS)
    assert "names their role, not who they are" in data["about"]
    assert db.session.scalar(sa.select(User.email).filter_by(id=admin.id)) == \
        "admin.person@example.org"  # nothing stored was changed to say so
