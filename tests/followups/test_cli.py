"""``flask --app app reminders sweep`` (API.md): the sweep once, now."""

from __future__ import annotations

from datetime import date

import time_machine

from tests.fixtures_followups import local


def test_reminders_sweep_claims_what_is_due_and_says_so(app, make_follow_up, enqueued):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        make_follow_up("agreed", due_date=date(2026, 3, 10))
    with time_machine.travel(local(2026, 3, 14, 9, 0), tick=False):
        result = app.test_cli_runner().invoke(args=["reminders", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "claimed 1 (recovered 0), skipped 2, no longer needed 0"
    assert len(enqueued.ids("followups.send_reminder")) == 1  # sent after the command's commit


def test_reminders_sweep_has_help(app):
    result = app.test_cli_runner().invoke(args=["reminders", "sweep", "--help"])
    assert result.exit_code == 0
    assert "Claim the reminders that are due" in result.output
