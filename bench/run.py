"""`make bench`: run every benchmark, write bench/results.json and print a short table.

    .venv/bin/python bench/run.py [--quick]

--quick (make bench QUICK=1) shrinks every workload to finish in a few minutes.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FULL = {
    "upload": ["--size-mb", "2048"],
    "api": ["--panels", "200", "--seconds", "20"],
    "training": ["--minutes", "10", "--epochs", "2"],
    "inference": ["--minutes", "10", "--long-minutes", "30"],
    "quality": ["--minutes", "12"],
    "export_check": ["--runs", "10"],
    "languages": ["--languages", "de,nl,es", "--minutes", "12"],
    "versions": ["--minutes", "10"],
    "scale": ["--hours", "0.25"],
    "phrases": [],
    "text_only": ["--sentences", "2000"],
    "ingest": ["--files", "10,100", "--minutes", "3"],
    "align_long": ["--hours", "0.5,2"],
}
QUICK = {
    "upload": ["--size-mb", "200"],
    "api": ["--panels", "200", "--seconds", "5", "--compress", "5"],
    "training": ["--minutes", "1", "--epochs", "1", "--repeats", "2"],
    "inference": ["--minutes", "1", "--long-minutes", "3"],
}


def run(name: str, arguments: list[str]) -> dict:
    started = time.perf_counter()
    if name == "upload":
        result = _upload(arguments)
    else:
        out = subprocess.run(
            [sys.executable, f"bench/{name}.py", *arguments], cwd=ROOT, capture_output=True, text=True
        )
        if out.returncode != 0:
            return {"benchmark": name, "error": out.stderr.strip().splitlines()[-1:] or ["failed"]}
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result["bench_wall_s"] = round(time.perf_counter() - started, 1)
    result.pop("log", None)
    return result


def _upload(arguments: list[str]) -> dict:
    """The upload benchmark runs against a production server it starts in a scratch folder."""
    sys.path.insert(0, str(ROOT))
    from bench.common import Server, prepare, scratch_env, scratch_folder

    with scratch_folder("bench-upload-") as folder:
        env = scratch_env(Path(folder))
        prepare(env)
        with Server(env) as server:
            out = subprocess.run(
                [sys.executable, "bench/upload.py", *arguments, "--url", server.url],
                cwd=ROOT, env=env, capture_output=True, text=True,
            )  # fmt: skip
    if out.returncode != 0:
        return {"benchmark": "upload", "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    rows = []
    for name, r in results["benchmarks"].items():
        if r.get("error"):
            rows.append(f"{name:<10} ERROR {r['error']}")
        elif name == "upload":
            rows.append(
                f"upload     {r['tus_mb_per_s']} MB/s = {r['ratio_vs_cp']} x cp; "
                f"RSS +{r['server_rss_growth_mb']} MB"
            )
        elif name == "api":
            for step in r["steps"]:
                app, bare = step["app"], step["bare_django_view"]
                rows.append(
                    f"api        {r['panels']} panels x{step['compress']:g} "
                    f"({step['offered_requests_per_s']:g} req/s): "
                    f"list p50/p95 {app['list']['p50_ms']}/{app['list']['p95_ms']} ms "
                    f"(bare {bare['list']['p50_ms']}/{bare['list']['p95_ms']}), "
                    f"detail {app['detail']['p50_ms']}/{app['detail']['p95_ms']} ms "
                    f"(bare {bare['detail']['p50_ms']}/{bare['detail']['p95_ms']}); "
                    f"p95 ratio {step['p95_ratio_app_vs_bare']}"
                )
        elif name == "training":
            rows.append(
                f"training   {r['ours_audio_s_per_wall_s']} audio-s/s = "
                f"{r['ratio_ours_vs_plain']} x plain Brain.fit; "
                f"{r['audio_minutes']} min x {r['epochs']} epochs "
                f"in {r['ours_wall_s']} s ({r['device']})"
            )
        elif name == "inference":
            rows.append(
                f"inference  API RTF {r['api_rtf']} = {r['api_speed_vs_direct']} x direct "
                f"({r['audio_minutes']} min; {r['long_api_speed_vs_direct']} x on the long file); "
                f"{r['long_audio_minutes']} min RTF {r['long_rtf']}, "
                f"peak RSS {r['long_peak_rss_mb']} MB = {r['long_vs_short_peak_rss']} x the "
                f"{r['audio_minutes']} min file's ({r['device']})"
            )
        elif name == "quality":
            m = r.get("training_metrics") or {}
            piper = (r.get("domain_by_voice") or {}).get("piper:joe") or {}
            general = (r.get("general_speech") or {}).get("all") or {}
            rows.append(
                f"quality    WER base {m.get('base_word_error_rate')}% -> custom {m.get('word_error_rate')}% "
                f"({m.get('accuracy_improvement')}% better; piper voice "
                f"{piper.get('base_word_error_rate')}% -> {piper.get('custom_word_error_rate')}%), "
                f"{r['wall_seconds']} s; everyday speech "
                f"{general.get('base_word_error_rate')}% -> {general.get('custom_word_error_rate')}%"
            )
        elif name == "export_check":
            rows.append(
                f"export     {r['failed_by_export_check']} of {len(r['runs'])} English runs failed by the "
                f"export check; {r['served_float32']} serve float32; validation WER given back at most "
                f"{r['valid_wer_given_back_max']} points"
            )
        elif name == "languages":
            for code, lang in r["languages"].items():
                overall = (lang.get("domain_by_voice") or {}).get("all") or {}
                everyday = (lang.get("general_speech") or {}).get("all") or {}
                rows.append(
                    f"languages  {code}: {lang['status']} in {lang.get('wall_seconds')} s; domain WER "
                    f"{overall.get('base_word_error_rate')}% -> {overall.get('custom_word_error_rate')}% "
                    f"({overall.get('relative_reduction')}% better); everyday "
                    f"{everyday.get('change_wer_points')} points"
                )
            rows.append(
                f"languages  detection {r['detection']['all']['accuracy']}% correct; "
                f"RTF {r['rtf']['mean']} ({r['machine']})"
            )
        elif name == "scale":
            for size, figures in r["sizes"].items():
                rows.append(
                    f"scale      {size}: {figures['status']} in {figures['wall_seconds']} s "
                    f"({figures['audio_hours_per_hour']} audio-hours an hour), trainer peak "
                    f"{figures['peak_rss_mb']} MB, test WER {figures['base_test_wer']}% -> "
                    f"{figures['custom_test_wer']}%"
                )
        elif name == "phrases":
            domain, everyday, seconds = r["domain"], r["everyday"], r["time_s"]
            rows.append(
                f"phrases    key terms missed {domain['missed_without']} -> {domain['missed_with']} of "
                f"{domain['key_terms']} ({domain['missed_cut_percent']}% fewer); everyday WER "
                f"{everyday['wer_change_points']:+} points, {everyday['false_insertions_per_100']} false "
                f"insertions per 100; STT time {seconds['ratio_100_all']}x with 100 phrases"
            )
        elif name == "text_only":
            test, everyday = r.get("test") or {}, r.get("everyday") or {}
            rows.append(
                f"text only  {r['text_sentences']} sentences: {r['status']} in "
                f"{r['post_run_to_success_seconds']} s; key terms missed {test.get('missed_base')} -> "
                f"{test.get('missed_custom')} ({test.get('missed_cut_percent')}% fewer), WER "
                f"{test.get('wer_base')}% -> {test.get('wer_custom')}%, everyday "
                f"{everyday.get('change_points')} points"
            )
        elif name == "ingest":
            for size, batch in r["batches"].items():
                rows.append(
                    f"ingest     {size} ({batch['audio_hours']} h): ingest {batch['ingest_seconds']} s, "
                    f"validation {batch['validate_seconds']} s; {batch['ingest_per_hour_vs_smallest']} x the "
                    f"smallest batch's time per audio-hour; peak RSS {batch['peak_rss_mb']} MB"
                )
            manifest = r["manifest"]
            rows.append(
                f"ingest     manifest of {manifest['lines']} lines: {manifest['manifest_ingest_seconds']} s, "
                f"validation {manifest['validate_seconds']} s"
            )
        elif name == "align_long":
            for length, cut in r["lengths"].items():
                rows.append(
                    f"align long {length} ({cut['audio_hours']} h) with one TXT: {cut['wall_seconds']} s, "
                    f"{cut['seconds_per_audio_hour_vs_shortest']} x the shortest's time per audio-hour; "
                    f"peak RSS {cut['peak_rss_mb']} MB; {cut['words_placed_percent']}% of words placed"
                )
        elif name == "versions":
            resumed, worse, back = r["v2_killed_and_resumed"], r["v3_shuffled_transcripts"], r["rollback"]
            rows.append(
                f"versions   killed at epoch {resumed['kill']['after_epoch']}.5/{resumed['kill']['of']} and "
                f"resumed: {r['resumed_wall_ratio']}x the uninterrupted wall time, test WER "
                f"{r['resumed_test_wer_change']:+} points, {resumed['epochs_trained_twice']} epoch(s) "
                f"trained twice; shuffled v{worse['version']} active: "
                f"{worse['active_version_after'] == worse['version']}; roll back to a transcript in "
                f"{back['seconds_activate_to_transcript']} s"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    names = [n for n in plan if not args.only or n in args.only]
    results = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": _cpus()},
        "quick": args.quick,
        "benchmarks": {name: run(name, plan[name]) for name in names},
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
