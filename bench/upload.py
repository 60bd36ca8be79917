"""Upload benchmark: tus over loopback to the server `make run` started, against `cp`.

    .venv/bin/python bench/upload.py [--size-mb 2048] [--chunk-mb 50] [--url http://127.0.0.1:8000]

Prints one JSON object: throughput in MB/s, the same bytes copied by `cp` in the
same run (and the ratio), and the peak RSS growth of the server's processes.
Targets: ratio >= 0.3, RSS growth <= 64 MB.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from tusclient import client as tus_client

ROOT = Path(__file__).resolve().parent.parent


def write_wav(path: Path, size_bytes: int) -> None:
    """A valid 16 kHz mono 16-bit WAV of about `size_bytes` (a tone, so it is not sparse)."""
    data_bytes = size_bytes - 44
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" + struct.pack("<I", data_bytes)
    period = bytes(
        b
        for n in range(16000)
        for b in struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 16000)))
    )
    block = period * 32  # 1 MB
    with open(path, "wb") as out:
        out.write(header)
        written = 0
        while written < data_bytes:
            chunk = block[: data_bytes - written]
            out.write(chunk)
            written += len(chunk)


def server_pids(port: int) -> list[int]:
    """The gunicorn master listening on the port and its workers."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    masters = {int(p.split("=")[1]) for p in out.replace(",", " ").split() if p.startswith("pid=")}
    pids = set(masters)
    for master in masters:
        children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        pids.update(int(c) for c in children)
    return sorted(pids)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class RssSampler(threading.Thread):
    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.baseline = {pid: rss_mb(pid) for pid in pids}
        self.peak = dict(self.baseline)
        self.running = True

    def run(self) -> None:
        while self.running:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mb(pid))
            time.sleep(0.1)

    def growth(self) -> float:
        return max(self.peak[pid] - self.baseline[pid] for pid in self.pids)


def api_key() -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["admin_api_key"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--chunk-mb", type=int, default=50)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    port = int(args.url.rsplit(":", 1)[-1].strip("/"))
    headers = {"Authorization": f"Bearer {api_key()}"}

    with tempfile.TemporaryDirectory(prefix="bench-upload-", dir=ROOT / "var") as folder:
        source = Path(folder) / "bench.wav"
        write_wav(source, args.size_mb * 1024 * 1024)
        size = source.stat().st_size

        started = time.perf_counter()
        subprocess.run(["cp", str(source), str(Path(folder) / "copy.wav")], check=True)
        os.sync()
        cp_seconds = time.perf_counter() - started
        (Path(folder) / "copy.wav").unlink()

        model = requests.post(
            f"{args.url}/api/v3/custom_models",
            json={"name": f"Upload bench {time.time():.0f}", "language": "en"},
            headers=headers,
            timeout=30,
        ).json()
        endpoint = f"{args.url}/api/v3/custom_models/{model['id']}/uploads/"
        pids = server_pids(port)
        sampler = RssSampler(pids)
        sampler.start()
        started = time.perf_counter()
        uploader = tus_client.TusClient(endpoint, headers=headers).uploader(
            str(source),
            chunk_size=args.chunk_mb * 1024 * 1024,
            metadata={"filename": "bench.wav", "type": "audio"},
        )
        uploader.upload()
        tus_seconds = time.perf_counter() - started
        sampler.running = False
        sampler.join()
        requests.delete(f"{args.url}/api/v3/custom_models/{model['id']}", headers=headers, timeout=30)

    mb = size / 1024 / 1024
    result = {
        "benchmark": "upload",
        "bytes": size,
        "chunk_mb": args.chunk_mb,
        "tus_seconds": round(tus_seconds, 2),
        "tus_mb_per_s": round(mb / tus_seconds, 1),
        "cp_seconds": round(cp_seconds, 2),
        "cp_mb_per_s": round(mb / cp_seconds, 1),
        "ratio_vs_cp": round(cp_seconds / tus_seconds, 3),
        "server_processes": len(pids),
        "server_rss_growth_mb": round(sampler.growth(), 1),
        "targets": {"ratio_vs_cp": ">= 0.3", "server_rss_growth_mb": "<= 64"},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
