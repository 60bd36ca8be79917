from custom_models.models import CustomModel
from tests.conftest import assert_error
from training.services import training_log_write

URL = "/api/v3/custom_models"


def make_model(persona) -> CustomModel:
    response = persona.client().post(URL, {"name": "Cardiology", "language": "en"}, format="json")
    return CustomModel.objects.get(pk=response.json()["id"])


def test_log_lists_timestamped_lines_in_order(owner):
    model = make_model(owner)
    training_log_write(model=model, stage="prepare", message="12 pairs, 11.8 minutes")
    training_log_write(model=model, stage="train", message="epoch 1/8 loss 1.92")

    body = owner.client().get(f"{URL}/{model.pk}/log").json()
    assert body["training_status"] == 1
    assert [line["message"] for line in body["lines"]] == ["12 pairs, 11.8 minutes", "epoch 1/8 loss 1.92"]
    assert [line["stage"] for line in body["lines"]] == ["prepare", "train"]
    assert all(line["time"] for line in body["lines"])


def test_log_resumes_after_a_line_id(owner):
    model = make_model(owner)
    first = training_log_write(model=model, message="one")
    training_log_write(model=model, message="two")
    body = owner.client().get(f"{URL}/{model.pk}/log", {"after": first.pk}).json()
    assert [line["message"] for line in body["lines"]] == ["two"]


def test_outsider_cannot_read_the_log(owner, outsider):
    model = make_model(owner)
    training_log_write(model=model, message="secret")
    assert_error(outsider.client().get(f"{URL}/{model.pk}/log"), 404, "MODEL_NOT_FOUND")
