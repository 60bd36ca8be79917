"""Which training segments validate a run: a tenth, but never more than a few minutes of speech."""

from training.pipeline import VALID_MAX_SECONDS, _validation_split


def rows(count: int, seconds: float) -> list[dict]:
    return [{"wav": f"/work/seg-{n:05d}.wav", "duration": seconds} for n in range(count)]


def test_a_tenth_of_a_small_set_validates_and_never_trains():
    train, valid = _validation_split(rows(200, 4.0))
    assert len(valid) == 20
    assert not {r["wav"] for r in train} & {r["wav"] for r in valid}
    assert len(train) + len(valid) == 200


def test_hours_of_segments_validate_on_at_most_the_cap():
    train, valid = _validation_split(rows(5000, 4.0))  # 5.6 hours
    assert sum(r["duration"] for r in valid) <= VALID_MAX_SECONDS
    assert len(valid) == int(VALID_MAX_SECONDS // 4.0)
    assert len(train) == 5000 - len(valid)


def test_the_split_is_the_same_each_time():
    assert _validation_split(rows(300, 3.0)) == _validation_split(rows(300, 3.0))
