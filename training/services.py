from custom_models.models import CustomModel
from training.models import TrainingLogLine


def training_log_write(
    *, model: CustomModel, message: str, stage: str = "", level: str = "info"
) -> TrainingLogLine:
    return TrainingLogLine.objects.create(custom_model=model, message=message, stage=stage, level=level)
