"""Voice activity: where a recording has speech, whatever model will transcribe it."""

from pathlib import Path

SAMPLE_RATE = 16000


def speech_regions(wav_path: Path) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of speech Silero VAD finds, with its default options."""
    import soundfile as sf

    samples, rate = sf.read(str(wav_path), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{wav_path.name} is {rate} Hz; voice activity detection needs {SAMPLE_RATE} Hz")
    return speech_regions_of(samples.mean(axis=1))


def speech_regions_of(samples) -> list[tuple[float, float]]:
    """The same, for float32 16 kHz mono samples in memory."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(samples) == 0:
        return []
    return [
        (round(chunk["start"] / SAMPLE_RATE, 3), round(chunk["end"] / SAMPLE_RATE, 3))
        for chunk in get_speech_timestamps(samples, VadOptions())
    ]
