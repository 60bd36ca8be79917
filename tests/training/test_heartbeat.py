"""A trainer's heartbeat outlives a database that is busy for a while: a beat that cannot be
written is tried again at the next one, so the sweeper never takes a healthy run for dead."""

import sqlite3
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from custom_models.services import custom_model_create
from training import pipeline
from training.models import TrainingRun


@pytest.mark.django_db(transaction=True)
def test_a_beat_lost_to_a_locked_database_does_not_stop_the_heartbeat(owner, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the lock is taken on the SQLite file")
    model = custom_model_create(organisation=owner.organisation, name="Busy", language="en")
    run = TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.RUNNING)
    run = TrainingRun.objects.select_related("custom_model").get(pk=run.pk)
    monkeypatch.setattr(pipeline, "HEARTBEAT_SECONDS", 0.05)
    # The beat's own connection gives up on a lock after 0.1 s instead of 30.
    monkeypatch.setitem(connections.settings["default"]["OPTIONS"], "timeout", 0.1)
    locker = sqlite3.connect(connection.settings_dict["NAME"])
    with pipeline.Reporter(run) as reporter:
        locker.execute("BEGIN EXCLUSIVE")  # another writer holds the database for a second
        time.sleep(1.0)
        locker.rollback()
        released = timezone.now()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.heartbeat_at and run.heartbeat_at > released:
                break
            time.sleep(0.05)
        assert reporter._thread.is_alive()
    locker.close()
    assert run.heartbeat_at > released, "no beat was recorded once the database was free again"
    assert not reporter.stopped
