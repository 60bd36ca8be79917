"""The training curve both families record: one point per epoch."""


def epoch_point(epoch: int, loss: float, valid_loss: float | None, valid_wer: float | None) -> dict:
    """One point of the training curve (WER in percent)."""
    return {
        "epoch": epoch,
        "loss": round(float(loss), 4),
        "valid_loss": None if valid_loss is None else round(float(valid_loss), 4),
        "valid_wer": None if valid_wer is None else round(float(valid_wer), 2),
    }
