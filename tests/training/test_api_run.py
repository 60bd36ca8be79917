import pytest
from django_q.models import OrmQ

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from tests.datasets.factories import add_file, add_pairs
from training.models import TrainingRun


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def run(persona, model, body=None):
    return persona.client().post(f"/api/v3/custom_models/{model.pk}/run", body or {}, format="json")


def queued_tasks() -> list[str]:
    return [task.func() for task in OrmQ.objects.all()]


def test_accepted_run_goes_to_provisioning_and_is_queued_after_commit(
    owner, model, django_capture_on_commit_callbacks
):
    add_pairs(model, 3, 240)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run(owner, model)
    assert response.status_code == 202, response.content
    assert response.json()["training_status"] == TrainingStatus.PROVISIONING
    assert len(callbacks) == 1
    assert queued_tasks() == ["training.tasks.run_training"]
    assert TrainingRun.objects.get().status == "queued"
    assert QuotaClaim.objects.filter(kind="training").count() == 1


def test_plan_without_the_feature_is_refused_first(featureless):
    assert_error(
        featureless.client().post("/api/v3/custom_models/1/run", {}, format="json"),
        403,
        "FEATURE_NOT_AVAILABLE",
    )


@pytest.mark.parametrize(
    "status", [TrainingStatus.PROVISIONING, TrainingStatus.RUNNING, TrainingStatus.SUCCESS]
)
def test_only_not_running_or_failed_can_train(owner, model, status):
    CustomModel.objects.filter(pk=model.pk).update(training_status=status)
    assert_error(run(owner, model), 409, "MODEL_NOT_READY")


def test_failed_model_can_train_again(owner, model):
    add_pairs(model, 3, 240)
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.FAILED)
    assert run(owner, model).status_code == 202


def test_no_data_and_no_transcript_are_no_data(owner, model):
    assert_error(run(owner, model), 400, "no_data")
    add_file(model, "a.wav", "audio", 900)
    body = assert_error(run(owner, model), 400, "no_data")
    assert body["message"] == "At least one transcript file is required"


def test_too_little_data_is_insufficient_data_with_the_spec_message_first(owner, model):
    add_pairs(model, 2, 129)
    add_file(model, "bad name.wav", "audio", 10)
    body = assert_error(run(owner, model), 400, "INSUFFICIENT_DATA")
    assert body["message"] == "Need minimum 10 minutes total duration (found 4.3 minutes)"
    assert "Unsafe filename: 'bad name.wav'" in body["details"]["errors"]
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.NOT_RUNNING
    assert not QuotaClaim.objects.exists()


def test_another_broken_rule_is_validation_failed(owner, model):
    add_pairs(model, 3, 240)
    add_file(model, "bad name.wav", "audio", 10)
    body = assert_error(run(owner, model), 400, "validation_failed")
    assert body["message"] == "Unsafe filename: 'bad name.wav'"


def test_unmatched_audio_is_409_listing_it_unless_skipped(owner, model):
    add_pairs(model, 3, 240)
    add_file(model, "orphan.wav", "audio", 60)
    body = assert_error(run(owner, model), 409, "unmatched_audio")
    assert body["details"]["unmatched_audio"] == ["orphan.wav"]
    assert not QuotaClaim.objects.exists()
    assert run(owner, model, {"skip_unmatched": True}).status_code == 202
    assert TrainingRun.objects.get().skip_unmatched
    assert model.dataset_files.filter(name="orphan.wav", deleted_at__isnull=True).exists()  # kept


def test_no_claims_left_is_no_claims_available(outsider):
    model = custom_model_create(organisation=outsider.organisation, name="Model", language="en")
    add_pairs(model, 3, 240)
    plan = outsider.organisation.plan
    plan.training_fair_use_limit, plan.training_unit_price = 0, None
    plan.save()
    assert_error(run(outsider, model), 402, "no-claims-available")
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.NOT_RUNNING


def test_sixth_start_in_an_hour_is_429_and_costs_no_claim(owner):
    models = []
    for n in range(6):
        m = custom_model_create(organisation=owner.organisation, name=f"Model {n}", language="en")
        add_pairs(m, 3, 240)
        models.append(m)
    for m in models[:5]:
        assert run(owner, m).status_code == 202
    response = run(owner, models[5])
    assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0
    assert QuotaClaim.objects.filter(kind="training").count() == 5
    models[5].refresh_from_db()
    assert models[5].training_status == TrainingStatus.NOT_RUNNING


def test_refused_starts_do_not_use_up_the_rate_limit(owner, model):
    for _ in range(6):
        assert run(owner, model).status_code == 400  # no data
    add_pairs(model, 3, 240)
    assert run(owner, model).status_code == 202


def test_outsider_gets_404(outsider, model):
    add_pairs(model, 3, 240)
    assert_error(run(outsider, model), 404, "MODEL_NOT_FOUND")


def test_training_can_have_a_queue_of_its_own(owner, model, settings, django_capture_on_commit_callbacks):
    settings.TRAINING_QUEUE = "gpu"
    add_pairs(model, 3, 240)
    with django_capture_on_commit_callbacks(execute=True):
        assert run(owner, model).status_code == 202
    assert list(OrmQ.objects.values_list("key", flat=True)) == ["gpu"]
