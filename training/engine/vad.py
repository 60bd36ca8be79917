"""Voice activity: where a recording has speech, whatever model will transcribe it."""

from pathlib import Path

SAMPLE_RATE = 16000


def speech_regions(wav_path: Path) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of speech Silero VAD finds, with its default options."""
    import soundfile as sf
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    samples, rate = sf.read(str(wav_path), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{wav_path.name} is {rate} Hz; voice activity detection needs {SAMPLE_RATE} Hz")
    audio = samples.mean(axis=1)
    return [
        (round(chunk["start"] / SAMPLE_RATE, 3), round(chunk["end"] / SAMPLE_RATE, 3))
        for chunk in get_speech_timestamps(audio, VadOptions())
    ]
