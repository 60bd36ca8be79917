"""API latency: model list and detail with 1,000 models, under 200 simulated panels.

    .venv/bin/python bench/api.py [--panels 200] [--seconds 20] [--compress 5 20]

Each panel polls the list and one model's detail every 20 s; time is
compressed: `--compress 5` polls every 4 s (200 panels → 100 requests/s,
five times the real load), `--compress 20` every second (400 requests/s).
Each step's load then hits a bare Django view returning the same JSON, in
the same run. Throttles are raised for this benchmark: it measures latency,
not the rate limits.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Server, percentile, prepare, scratch_env, scratch_folder  # noqa: E402


def seed_models(env: dict, count: int) -> int:
    os.environ.update(env)
    import django

    django.setup()
    from accounts.models import Organisation
    from custom_models.models import CustomModel, Language

    organisation = Organisation.objects.get(slug="demo")
    english = Language.objects.get(code="en")
    CustomModel.objects.bulk_create(
        CustomModel(organisation=organisation, name=f"Model {n}", key=f"model-{n}", language=english)
        for n in range(count)
    )
    return CustomModel.objects.filter(organisation=organisation).order_by("-pk").first().pk


async def panel(
    session, base: str, paths: tuple[str, str], interval: float, start_offset: float, until: float, out: dict
) -> None:
    await asyncio.sleep(start_offset)  # panels opened at different moments do not poll in lockstep
    while time.monotonic() < until:
        started = time.monotonic()
        for name, path in zip(("list", "detail"), paths, strict=True):
            t0 = time.perf_counter()
            async with session.get(base + path) as response:
                await response.read()
                out.setdefault(name, []).append(time.perf_counter() - t0)
                if response.status >= 500:
                    out["errors"] = out.get("errors", 0) + 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def load(
    base: str, key: str, paths: tuple[str, str], panels: int, seconds: float, interval: float
) -> dict:
    results: dict = {}
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=panels)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                panel(session, base, paths, interval, interval * n / panels, until, results)
                for n in range(panels)
            )
        )
    return results


def summarise(latencies: dict) -> dict:
    return {
        name: {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        }
        for name, values in latencies.items()
        if isinstance(values, list)
    } | {"errors_5xx": latencies.get("errors", 0)}


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--compress", type=float, nargs="+", default=[5, 20], help="time compressions, one load step each"
    )
    args = parser.parse_args()
    steps = []
    with scratch_folder("bench-api-") as folder:
        env = scratch_env(Path(folder), THROTTLE_STATUS_CHECK="1000000/min")
        key = prepare(env)["admin_api_key"]
        model_id = seed_models(env, args.models)
        app_paths = ("/api/v3/custom_models", f"/api/v3/custom_models/{model_id}")
        bare_paths = ("/bench/bare/list", "/bench/bare/detail")
        with Server(env, settings="bench.settings") as server:
            for compress in args.compress:
                interval = 20 / compress
                app = summarise(
                    asyncio.run(load(server.url, key, app_paths, args.panels, args.seconds, interval))
                )
                bare = summarise(
                    asyncio.run(load(server.url, key, bare_paths, args.panels, args.seconds, interval))
                )
                steps.append(
                    {
                        "compress": compress,
                        "poll_interval_s": interval,
                        "offered_requests_per_s": round(2 * args.panels / interval, 1),
                        "app": app,
                        "bare_django_view": bare,
                        "p95_ratio_app_vs_bare": {
                            name: round(app[name]["p95_ms"] / max(0.1, bare[name]["p95_ms"]), 2)
                            for name in ("list", "detail")
                        },
                    }
                )
    result = {
        "benchmark": "api",
        "models": args.models,
        "panels": args.panels,
        "real_poll_interval_s": 20,
        "seconds_per_step": args.seconds,
        "steps": steps,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
