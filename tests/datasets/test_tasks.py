from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from custom_models.services import custom_model_create
from datasets.tasks import expire_uploads
from datasets.uploads import staged_path, tus_upload_create


def test_expiry_runs_every_hour_on_the_cluster(db):
    schedule = Schedule.objects.get(func="datasets.tasks.expire_uploads")
    assert schedule.schedule_type == Schedule.HOURLY


def test_the_task_removes_only_expired_uploads(owner):
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    fresh = tus_upload_create(model=model, length=10, metadata={"filename": "a.txt"})
    stale = tus_upload_create(model=model, length=10, metadata={"filename": "b.txt"})
    type(stale).objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_uploads() == 1
    assert staged_path(fresh).exists() and not staged_path(stale).exists()
