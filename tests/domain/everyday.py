"""Everyday speech in voices no model here trained on: the base's quality and what fine-tuning forgot.

The starter's 40 held-out everyday sentences (`training.engine.starter.text.EVERYDAY_TEST`), each
spoken in three test voices: piper's neural "joe" and espeak-ng en-us+Mario and en+Nguyen.

Voices by use:
  * starter corpus training: random espeak-ng accents x variants (`synth.BASE_VOICES` x
    `synth.VARIANTS`); its own test voices (`synth.TEST_VOICES`: en-us, en-us+m1, en-us+f1) are
    in that pool too, so they measure unseen sentences, not unseen voices;
  * cardiology training: espeak-ng `cardiology.VOICES`;
  * test only (this set and the cardiology test recordings): piper joe and
    `cardiology.HELD_OUT_ESPEAK`, variants in neither training list.

References are written the way Whisper writes: a capital letter and a full stop.

    python -m tests.domain.everyday OUT_DIR
"""

import argparse
import json
import re
import tempfile
from pathlib import Path

import soundfile as sf

from tests.domain.cardiology import HELD_OUT_ESPEAK, PIPER_VOICE, RATE, speak
from training.engine.starter.text import EVERYDAY_TEST

VOICES = [PIPER_VOICE, *HELD_OUT_ESPEAK]
SPEED = 160  # espeak-ng words per minute; piper at its own pace
_CAPITALISED = re.compile(r"\b(i|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")


def written(sentence: str) -> str:
    """'do you know where i left my keys' -> 'Do you know where I left my keys.'"""
    text = _CAPITALISED.sub(lambda m: m.group(0).capitalize(), sentence)
    return text[0].upper() + text[1:] + "."


def build(out_dir: Path) -> dict:
    """Write one WAV per sentence and voice; return the clips (wav, text, voice) and their minutes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clips, seconds = [], 0.0
    with tempfile.TemporaryDirectory() as folder:
        for n, sentence in enumerate(EVERYDAY_TEST):
            text = written(sentence)
            for voice in VOICES:
                wav = out_dir / f"every{n:02d}_{re.sub(r'[^A-Za-z0-9-]', '_', voice)}.wav"
                samples = speak(text, voice, SPEED, Path(folder))
                sf.write(str(wav), samples, RATE, subtype="PCM_16")
                seconds += len(samples) / RATE
                clips.append({"wav": str(wav), "text": text, "voice": voice})
    return {"clips": clips, "minutes": round(seconds / 60, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    print(json.dumps({"minutes": build(args.out_dir)["minutes"]}))
