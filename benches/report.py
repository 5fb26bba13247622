#!/usr/bin/env python3
"""Run Mirage's comparative benchmarks and write BENCHMARKS.md plus one SVG chart per group.

Usage (from the repository root; Python 3.11 standard library only):

    python3 benches/report.py                       # build + run everything, write the report
    python3 benches/report.py --only tasks,timers   # run a subset (others keep their last results)
    python3 benches/report.py --skip-run            # only regenerate the report from saved results

Benchmarks: tasks, timers, select (criterion, Mirage vs tokio), timer_precision (lateness
percentiles), echo (TCP echo vs tokio), http (Mirage's HTTP example vs hyper and may_minihttp).
A whole run takes about 10-15 minutes on the 2-core reference machine.

Results go to `$CARGO_TARGET_DIR/report/` (default `target/report/`): for each benchmark its
full output (`<bench>.log`), its status (`<bench>.status.json`) and, for the criterion ones,
the estimates it produced (`<bench>.json`). `--skip-run` reads only those files, so the report
can be regenerated (or restyled) without running anything. Outputs: `BENCHMARKS.md` at the
repository root and `benches/charts/*.svg`.

Criterion benches run with `-- --warm-up-time 0.5 --measurement-time 2 --noplot` (groups
that set their own times keep them), pinned to core 0 with `taskset` where it exists. The network benches are narrowed through their
environment variables to keep the run short (see NET_DEFAULTS); any of those variables set in
the caller's environment wins, e.g. `ECHO_REPEATS=3 python3 benches/report.py --only echo`.
`--timeout SECONDS` bounds each benchmark's run (default 900); a benchmark that fails to
build, fails or times out is reported as such in BENCHMARKS.md and the others go on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ROOT / "benches" / "charts"
OUTPUT = ROOT / "BENCHMARKS.md"

ALL = ["tasks", "timers", "timer_precision", "select", "echo", "http"]
CRITERION = {"tasks", "timers", "select"}
CRITERION_ARGS = ["--warm-up-time", "0.5", "--measurement-time", "2", "--noplot"]

# Short settings for the network benches (the caller's environment overrides them).
NET_DEFAULTS = {
    "echo": {"ECHO_REPEATS": "1", "ECHO_WARMUP": "1", "ECHO_SECONDS": "2", "ECHO_CG_REPEATS": "3"},
    "http": {"HTTP_REPEATS": "1", "HTTP_WARMUP": "1", "HTTP_SECONDS": "3", "HTTP_CG_REPEATS": "1"},
}

COLORS = {"mirage": "#e8590c", "tokio": "#1971c2", "hyper": "#2f9e44", "may": "#7048e8",
          "spin": "#f59f00", "off": "#c2255c"}
LABELS = {"mirage": "Mirage", "tokio": "tokio", "hyper": "hyper", "may": "may_minihttp",
          "spin": "Mirage, 200 µs window", "off": "Mirage, spin off"}


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def report_dir() -> Path:
    return target_dir() / "report"


# --------------------------------------------------------------------------------------------
# Running


def sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


def run_bench(name: str, timeout: int) -> None:
    out = report_dir()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    net_env = {}
    for key, value in NET_DEFAULTS.get(name, {}).items():
        net_env[key] = env.setdefault(key, value)
    commit = sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) or "?"
    status = {"bench": name, "env": net_env, "started": utc_now(), "commit": commit}
    log = out / f"{name}.log"
    print(f"[report] building {name} ...", flush=True)
    build = subprocess.run(
        ["cargo", "bench", "--bench", name, "--no-run"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if build.returncode != 0:
        log.write_text(build.stdout + build.stderr)
        status.update(state="build failed", detail=last_error(build.stderr))
        write_status(name, status)
        print(f"[report] {name}: build failed", flush=True)
        return
    cmd = ["cargo", "bench", "--bench", name]
    if name in CRITERION:
        cmd += ["--"] + CRITERION_ARGS
        # Both columns of every comparison on one core (the servers' core in echo and http).
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0"] + cmd
    status["command"] = " ".join(cmd)
    print(f"[report] running {' '.join(cmd)} ...", flush=True)
    status["load_before"] = loadavg()
    start = time.monotonic()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
            status["state"] = "ok" if rc == 0 else f"failed (exit {rc})"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            proc.wait()
            status["state"] = f"timed out after {timeout} s"
    status["seconds"] = round(time.monotonic() - start, 1)
    status["load_after"] = loadavg()
    if name in CRITERION:
        collect_criterion(name, log.read_text(errors="replace"))
    write_status(name, status)
    print(f"[report] {name}: {status['state']} in {status['seconds']} s", flush=True)


def loadavg() -> str:
    """The 1-minute load average (2 cores: above ~1.2 means other work shared the machine)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def last_error(stderr: str) -> str:
    lines = [l for l in stderr.splitlines() if l.startswith("error")]
    return lines[0] if lines else (stderr.strip().splitlines() or ["?"])[-1]


def write_status(name: str, status: dict) -> None:
    (report_dir() / f"{name}.status.json").write_text(json.dumps(status, indent=1))


def collect_criterion(name: str, log: str) -> None:
    """Snapshot the estimates of the ids this run benchmarked into <name>.json."""
    ids = set(re.findall(r"^Benchmarking ([^:\s]+)", log, re.M))
    results = []
    for bj in sorted((target_dir() / "criterion").glob("**/new/benchmark.json")):
        meta = json.loads(bj.read_text())
        if meta["full_id"] not in ids:
            continue
        est = json.loads((bj.parent / "estimates.json").read_text())
        results.append({
            "group": meta["group_id"], "function": meta["function_id"],
            "value": meta["value_str"], "full_id": meta["full_id"],
            "mean_ns": est["mean"]["point_estimate"], "median_ns": est["median"]["point_estimate"],
            "mean_lo": est["mean"]["confidence_interval"]["lower_bound"],
            "mean_hi": est["mean"]["confidence_interval"]["upper_bound"],
            "throughput": meta.get("throughput"),
        })
    (report_dir() / f"{name}.json").write_text(json.dumps(results, indent=1))


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------------------------
# Loading saved results


def load_status(name: str) -> dict | None:
    p = report_dir() / f"{name}.status.json"
    return json.loads(p.read_text()) if p.exists() else None


def load_log(name: str) -> str:
    p = report_dir() / f"{name}.log"
    return p.read_text(errors="replace") if p.exists() else ""


def load_criterion(name: str) -> dict:
    """{group: {case: {runtime: mean_ns}}}, cases in benchmark order."""
    p = report_dir() / f"{name}.json"
    groups: dict = {}
    if not p.exists():
        return groups
    order = {}
    for i in re.findall(r"^Benchmarking ([^:\s]+)", load_log(name), re.M):
        order.setdefault(i, len(order))
    results = sorted(json.loads(p.read_text()), key=lambda r: order.get(r["full_id"], 1 << 30))
    for r in results:
        parts = r["function"].split("/")
        runtime, rest = parts[0], parts[1:]
        if r["value"]:
            rest.append(r["value"])
        case = "/".join(rest) or r["group"]
        groups.setdefault(r["group"], {}).setdefault(case, {})[runtime] = r["median_ns"]
    # order cases: keep insertion order but sort numeric params naturally within a kind
    for g, cases in groups.items():
        groups[g] = dict(sorted(cases.items(), key=lambda kv: natural_key(kv[0])))
    return groups


SUFFIX = {"k": 1e3, "M": 1e6, "G": 1e9}


def natural_key(case: str):
    out = []
    for part in case.split("/"):
        m = re.fullmatch(r"(\d+)([kMG]?)", part)
        out.append((1, int(m.group(1)) * SUFFIX.get(m.group(2), 1), "") if m else (0, 0, part))
    return out


def parse_md_table(text: str, first_header: str) -> list[dict]:
    """The last markdown table whose first column header is `first_header`."""
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        if line.startswith(f"| {first_header} |"):
            start = i
    if start is None:
        return []
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(dict(zip(header, cells)))
    return rows


def num(s: str | None) -> float | None:
    if s is None:
        return None
    s = s.replace("*", "").replace(" B", "").strip()
    try:
        return float(s)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Formatting helpers


def sig(v: float) -> str:
    """3 significant digits without exponent notation; thousands separated."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    if ns >= 1e9:
        return f"{sig(ns / 1e9)} s"
    if ns >= 1e6:
        return f"{sig(ns / 1e6)} ms"
    if ns >= 1e3:
        return f"{sig(ns / 1e3)} µs"
    return f"{sig(ns)} ns"


def fmt_num(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "n/a"
    # Below 0.005 two decimals would print a ratio of zero (timer spin's p50 is 0.0012×).
    return f"{r:.2g}×" if 0 < abs(r) < 0.005 else f"{r:.2f}×"


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("✅ met" if ok else "❌ missed")


# --------------------------------------------------------------------------------------------
# SVG charts


def svg_chart(path: Path, title: str, subtitle: str, series: list[str],
              categories: list[tuple[str, str, dict]], fmt, goal_line: float | None = None,
              goal_label: str = "", tick_fmt=None) -> None:
    """Horizontal grouped bars. categories: (label, note under the label, {series: value})."""
    bar_h, bar_gap, group_gap = 16, 3, 16
    left, plot_w, right = 250, 420, 110
    top = 74
    width = left + plot_w + right
    group_h = len(series) * (bar_h + bar_gap) - bar_gap
    height = top + len(categories) * (group_h + group_gap) + 40
    values = [v for _, _, vals in categories for v in vals.values() if v is not None]
    vmax = max(values + ([goal_line] if goal_line else []) or [1.0]) * 1.02 or 1.0
    step = nice_step(vmax / 5)
    scale = plot_w / (step * max(1, -(-vmax // step)))
    e = []
    e.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
             f'font-size="12">')
    e.append(f'<rect width="{width}" height="{height}" fill="#ffffff"/>')
    e.append(f'<text x="12" y="22" font-size="16" font-weight="bold">{escape(title)}</text>')
    e.append(f'<text x="12" y="40" fill="#555">{escape(subtitle)}</text>')
    x = left
    for s in series:  # legend
        e.append(f'<rect x="{x}" y="50" width="12" height="12" fill="{COLORS.get(s, "#888")}"/>')
        e.append(f'<text x="{x + 16}" y="60">{escape(LABELS.get(s, s))}</text>')
        x += 30 + 8 * len(LABELS.get(s, s))
    plot_bottom = height - 30
    tick = 0.0
    while tick * scale <= plot_w + 0.5:  # grid and axis labels
        gx = left + tick * scale
        e.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{plot_bottom}" '
                 f'stroke="#e5e5e5"/>')
        e.append(f'<text x="{gx:.1f}" y="{plot_bottom + 14}" text-anchor="middle" fill="#666" '
                 f'font-size="10">{escape((tick_fmt or fmt)(tick))}</text>')
        tick += step
    y = top
    for label, note, vals in categories:
        mid = y + group_h / 2
        e.append(f'<text x="{left - 8}" y="{mid - 2 if note else mid + 4:.1f}" '
                 f'text-anchor="end" font-weight="bold">{escape(label)}</text>')
        if note:
            e.append(f'<text x="{left - 8}" y="{mid + 12:.1f}" text-anchor="end" fill="#444" '
                     f'font-size="11">{escape(note)}</text>')
        for s in series:
            v = vals.get(s)
            w = 0 if v is None else max(1.0, v * scale)
            e.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{COLORS.get(s, "#888")}"><title>{escape(LABELS.get(s, s))}: '
                     f'{escape(fmt(v) if v is not None else "n/a")}</title></rect>')
            e.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}" font-size="11">'
                     f'{escape(fmt(v) if v is not None else "n/a")}</text>')
            y += bar_h + bar_gap
        y += group_gap - bar_gap
    e.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{plot_bottom}" stroke="#333"/>')
    if goal_line:
        gx = left + goal_line * scale
        e.append(f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{plot_bottom}" '
                 f'stroke="#c92a2a" stroke-dasharray="5,3"/>')
        e.append(f'<text x="{gx + 3:.1f}" y="{plot_bottom - 4}" fill="#c92a2a" font-size="10">'
                 f'{escape(goal_label)}</text>')
    e.append("</svg>")
    text = "\n".join(e) + "\n"
    ET.fromstring(text)  # well-formed or raise
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def nice_step(x: float) -> float:
    if x <= 0:
        return 1.0
    mag = 10 ** int(f"{x:e}".split("e")[1])
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= x:
            return m * mag
    return 10 * mag


def time_fmt_for(values: list[float]):
    vmax = max([v for v in values if v is not None] or [1])
    unit, div = ("ns", 1)
    if vmax >= 1e9:
        unit, div = ("s", 1e9)
    elif vmax >= 1e6:
        unit, div = ("ms", 1e6)
    elif vmax >= 1e3:
        unit, div = ("µs", 1e3)
    return lambda v: "n/a" if v is None else f"{sig(v / div)} {unit}"


# --------------------------------------------------------------------------------------------
# Report sections


GOALS_CRITERION = {
    # group -> (case predicate, max ratio, text)
    "spawn_join_empty_task": (lambda c: True, 0.5, "≤ 0.5×"),
    "yield_now_round_trip": (lambda c: True, 0.5, "≤ 0.5×"),
    "channel_ping_pong": (lambda c: True, 0.5, "≤ 0.5×"),
    "sleep_create_register_cancel": (lambda c: True, 0.15, "≤ 0.15×"),
    "sleep_create_register_cancel_earliest": (lambda c: True, 0.15, "≤ 0.15×"),
    "sleep_fire_1m_tasks": (lambda c: True, 1 / 3, "≥ 3× throughput (time ≤ 0.33×)"),
    "timeout_ready": (lambda c: True, 0.5, "≤ 0.5×"),
    "two_branches_one_ready": (lambda c: True, 1.0, "≤ 1.0×"),
    "wakeup_to_winner": (lambda c: c.split("/")[-1] in ("32", "64"), 0.25, "≤ 0.25×"),
}

DESCRIPTIONS = {
    "tasks": "Task machinery: Mirage's `Core` beside tokio's current-thread runtime + "
             "`LocalSet` (`benches/tasks.rs`), built with `enable_all()` as a networking "
             "program builds it (Mirage's Core always has its reactor and timers). With its "
             "I/O driver tokio's scheduler calls `epoll_wait` whenever it runs out of ready "
             "tasks, which these loops do at nearly every operation: a tokio runtime built "
             "with no driver ran spawn, `yield_now` and ping-pong about 1.5-3x faster on this "
             "machine, and their ratios would be that much higher. Time per operation.",
    "timers": "Timers (`benches/timers.rs`): create + register + cancel a sleep with N other "
              "timers pending (per timer), the same when the new sleep is the earliest, 64 "
              "sleeps created and registered in one poll and dropped in the next (per batch: "
              "the shape in which Mirage's deferred clock read and wheel placement are paid), "
              "a sleep created and dropped unpolled, a million tasks each sleeping until a "
              "deadline within 50 ms (whole batch), and `timeout(1 s, ready(1))`. A Mirage "
              "`sleep` started in a poll of a running Core counts its duration from the end of "
              "that poll: one clock read per poll for the sleeps it started and still holds, "
              "none for sleeps dropped within it.",
    "select": "`mirage::select!` beside `tokio::select!` (`benches/select.rs`): a ready future "
              "racing a sleep; with N pending branches, the cost from one branch's wake-up to "
              "the end of the handler (`wakeup_to_winner`), a wake-up after which the woken "
              "branch is still pending (`wakeup_still_pending`: Mirage polls that branch, tokio "
              "all N), the same for `mirage::join!` beside `tokio::join!` (`join_wakeup`), and "
              "the whole enter/poll/wake/handle cycle (`full_cycle`); `channels` branches are "
              "tokio mpsc receivers, `trivial` ones only store their waker.",
}

GROUP_NOTES = {
    "cross_thread_wake_round_trip": "none set in the issues",
    "cross_thread_mutex_uncontended": "none set in the issues (the cross-thread locks came later)",
    "wakeup_still_pending": "none set in the issues (the flat-in-N goal is checked on `wakeup_to_winner`)",
    "join_wakeup": "none set in the issues (`join!` came later; Mirage polls the woken future only)",
    "sleep_create_only": "none set",
    "sleep_register_outliving_poll": "none set (shows what deferring the clock read costs when the sleeps outlive their poll)",
    "full_cycle": "none set (either macro polls every branch once on entry, so this grows with N for both)",
}


def status_line(name: str) -> str | None:
    st = load_status(name)
    if st is None:
        return f"> **Not run**: no saved results for `{name}` (run `python3 benches/report.py --only {name}`)."
    if st.get("state") != "ok":
        detail = f": `{st['detail']}`" if st.get("detail") else ""
        return (f"> **{st.get('state')}** (run of {st.get('started')}){detail}; see "
                f"`{report_dir() / (name + '.log')}`. Results below, if any, are partial.")
    return None


def run_info(name: str) -> str:
    st = load_status(name) or {}
    bits = [f"run {st.get('started', '?')}"]
    if st.get("commit"):
        bits.append(f"at `{st['commit']}`")
    if st.get("seconds") is not None:
        bits.append(f"{st['seconds']:.0f} s")
    if st.get("command"):
        bits.append(f"`{st['command']}`")
    if st.get("load_before"):
        bits.append(f"1-min load average {st['load_before']} before, {st.get('load_after', '?')} after")
    if st.get("env"):
        bits.append("with " + " ".join(f"`{k}={v}`" for k, v in st["env"].items()))
    return "*" + ", ".join(bits) + "*"


def criterion_section(name: str, md: list[str], headline: list) -> None:
    md.append(f"## {name}\n")
    md.append(DESCRIPTIONS[name] + " Lower time is better; ratio = Mirage / tokio.\n")
    note = status_line(name)
    if note:
        md.append(note + "\n")
    groups = load_criterion(name)
    if not groups:
        md.append("No results.\n")
        return
    md.append(run_info(name) + "\n")
    if name == "timers":
        timers_extras(md)
    for group, cases in groups.items():
        goal = GOALS_CRITERION.get(group)
        md.append(f"### `{group}`\n")
        if group in GROUP_NOTES:
            md.append(f"Goal: {GROUP_NOTES[group]}.\n")
        md.append("| benchmark | Mirage | tokio | ratio | goal | |")
        md.append("|---|---:|---:|---:|---|---|")
        cats = []
        ratios = []
        for case, vals in cases.items():
            m, t = vals.get("mirage"), vals.get("tokio")
            r = ratio(m, t)
            if goal and goal[0](case):
                gtext, ok = goal[2], (None if r is None else r <= goal[1])
            else:
                gtext, ok = "—", None
            mark = "" if ok is None else verdict(ok)
            label = case if case != group else group
            md.append(f"| {label} | {fmt_ns(m)} | {fmt_ns(t)} | {fmt_ratio(r)} | {gtext} | {mark} |")
            note_txt = f"ratio {fmt_ratio(r)}" + ("" if ok is None else (" ✓" if ok else " ✗"))
            cats.append((label, note_txt, vals))
            if r is not None:
                ratios.append((case, r, ok))
        # extra goals
        extra = []
        if group.startswith("sleep_create_register_cancel"):
            m1k, m10m = cases.get("1k", {}).get("mirage"), cases.get("10M", {}).get("mirage")
            r = ratio(m10m, m1k)
            extra.append(f"Mirage at 10M pending vs 1k pending: {fmt_ratio(r)} (goal ≤ 1.5×: "
                         f"{verdict(None if r is None else r <= 1.5)}); tokio: "
                         f"{fmt_ratio(ratio(cases.get('10M', {}).get('tokio'), cases.get('1k', {}).get('tokio')))}.")
        if group == "sleep_register_outliving_poll":
            m1k, m10m = cases.get("1k", {}).get("mirage"), cases.get("10M", {}).get("mirage")
            extra.append(f"Mirage at 10M pending vs 1k pending: {fmt_ratio(ratio(m10m, m1k))}; tokio: "
                         f"{fmt_ratio(ratio(cases.get('10M', {}).get('tokio'), cases.get('1k', {}).get('tokio')))} "
                         f"(informative: the issue's ≤ 1.5× goal is set on create + register + cancel "
                         f"above).")
        if group == "sleep_fire_1m_tasks":
            r = ratio(cases[group].get("tokio"), cases[group].get("mirage"))
            extra.append(f"Throughput (timers fired per second) is the inverse: Mirage fires "
                         f"{fmt_ratio(r)} as many per second as tokio (goal ≥ 3×: "
                         f"{verdict(None if r is None else r >= 3)}).")
        if group == "wakeup_to_winner":
            watch = re.search(r"^stopwatch: ([\d.]+) ns", load_log("select"), re.M)
            if watch:
                w = float(watch.group(1))
                net = []
                for case in ("trivial/32", "trivial/64", "channels/32", "channels/64"):
                    m, t = cases.get(case, {}).get("mirage"), cases.get(case, {}).get("tokio")
                    if m is not None and t is not None and t > w:
                        net.append(f"{case} {fmt_ratio(ratio(max(m - w, 0.0), t - w))}")
                extra.append(f"Each timed wake-up includes its stopwatch, two clock reads that "
                             f"cost {w:.1f} ns by themselves in this run, in both columns; it "
                             f"pulls the ratios toward 1. Taken out of both (informative; the "
                             f"verdicts above use the times as measured): " + ", ".join(net) + ".")
            for kind in ("channels", "trivial"):
                a, b = cases.get(f"{kind}/8", {}).get("mirage"), cases.get(f"{kind}/64", {}).get("mirage")
                r = ratio(b, a)
                ta, tb = cases.get(f"{kind}/8", {}).get("tokio"), cases.get(f"{kind}/64", {}).get("tokio")
                extra.append(f"Flatness, `{kind}`: Mirage at 64 branches vs 8: {fmt_ratio(r)} "
                             f"(tokio: {fmt_ratio(ratio(tb, ta))}); goal \"flat\", read here as "
                             f"≤ 1.5×: {verdict(None if r is None else r <= 1.5)}.")
        md.append("")
        for x in extra:
            md.append(x + "\n")
        fmt = time_fmt_for([v for _, _, vals in cats for v in vals.values()])
        svg = CHARTS / f"{name}_{group}.svg"
        svg_chart(svg, f"{name}: {group}", "median time per iteration (lower is better); "
                  "ratio = Mirage / tokio", ["mirage", "tokio"], cats, fmt)
        md.append(f"![{group}: Mirage vs tokio, median time](benches/charts/{svg.name})\n")
        headline.append((f"{name}: `{group}`", ratios, goal[2] if goal else GROUP_NOTES.get(group, "—")))


def timers_extras(md: list[str]) -> None:
    """Future sizes and per-timer memory, which the timers bench prints to stderr."""
    log = load_log("timers")
    sizes = re.findall(r"^(Sleep|Timeout<Ready<i32>>)\s+(\d+)\s+(\d+)$", log, re.M)
    if sizes:
        md.append("| `size_of` | Mirage | tokio |")
        md.append("|---|---:|---:|")
        for what, m, t in sizes:
            md.append(f"| `{what}` | {m} B | {t} B |")
        md.append("")
    setups = re.findall(r"^setup\s+(mirage|tokio)\s+(\d+) pending timers:\s+([\d.]+) s,\s+([\d.]+) B RSS",
                        log, re.M)
    if setups:
        # the first set printed is `sleep_create_register_cancel`'s (later groups reuse memory)
        seen, rows = set(), {}
        for rt, n, secs, per in setups:
            if (rt, n) in seen:
                continue
            seen.add((rt, n))
            rows.setdefault(int(n), {})[rt] = (secs, per)
        md.append("Building the N pending timers of `sleep_create_register_cancel` (printed by "
                  "the bench; RSS growth divided by N, so only a rough figure):\n")
        md.append("| pending timers | Mirage setup | tokio setup | Mirage RSS/timer | tokio RSS/timer |")
        md.append("|---:|---:|---:|---:|---:|")
        for n, r in sorted(rows.items()):
            m, t = r.get("mirage", (None, None)), r.get("tokio", (None, None))
            md.append(f"| {n:,} | {m[0]} s | {t[0]} s | {m[1]} B | {t[1]} B |")
        md.append("")


def precision_section(md: list[str], headline: list) -> None:
    name = "timer_precision"
    md.append(f"## {name}\n")
    md.append("How late a 1 ms `sleep_until` wakes on an otherwise idle runtime, and what the "
              "waiting costs in CPU time (`benches/timer_precision.rs`): 2,000 sequential "
              "sleeps per runtime, in 10 rounds that alternate between the runtimes, lateness "
              "= `Instant` after the wake-up minus the deadline; CPU = the thread's CPU time "
              "per sleep (`CLOCK_THREAD_CPUTIME_ID`). Lower is better. **Mirage** is a plain "
              "`Core`, as every Core starts (`TimerSpin::Adaptive`): it learns how late the "
              "kernel wakes it and sleeps until that long before each deadline (at most "
              "250 µs), polling without blocking for the rest; its learning, over the first "
              "few dozen wake-ups, is in its figures. **Mirage, spin off** "
              "(`TimerSpin::Off`) sleeps in the kernel until the deadline, so its lateness is "
              "the kernel's wake-up of a sleeping thread. **Mirage, 200 µs window** "
              "(`TimerSpin::Window`) stays awake for the last 200 µs before every deadline.\n")
    note = status_line(name)
    if note:
        md.append(note + "\n")
    log = load_log(name)
    rows = {}
    for m in re.finditer(r"^(mirage|off|spin|tokio)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+"
                         r"([-\d.]+)\s+(\d+)(?:\s+([\d.]+))?", log, re.M):
        cpu = float(m.group(7)) if m.group(7) else None
        rows[m.group(1)] = [float(m.group(i)) for i in range(2, 6)] + [int(m.group(6)), cpu]
    if "mirage" not in rows or "tokio" not in rows:
        md.append("No results.\n")
        return
    md.append(run_info(name) + "\n")
    series = [r for r in ["mirage", "off", "spin", "tokio"] if r in rows]
    mirages = [r for r in series if r != "tokio"]
    md.append("| lateness | " + " | ".join(LABELS[r] for r in series) + " | "
              + " | ".join(f"{LABELS[r]}/tokio" for r in mirages) + " | goal | |")
    md.append("|---|" + "---:|" * (len(series) + len(mirages)) + "---|---|")
    cats = []
    for i, p in enumerate(["p50", "p90", "p99", "max"]):
        vals = {r: rows[r][i] for r in series}
        m, t = vals["mirage"], vals["tokio"]
        ratios = [fmt_ratio(ratio(vals[r], t)) for r in mirages]
        if p == "p99":
            met = [f"{LABELS[r]} {verdict(vals[r] <= 100)}" for r in mirages]
            goal, mark = "≤ 100 µs", ", ".join(met)
        else:
            goal, mark = "—", ""
        md.append(f"| {p} | " + " | ".join(f"{vals[r]:.1f} µs" for r in series) + " | "
                  + " | ".join(ratios) + f" | {goal} | {mark} |")
        if p != "max":
            marks = {r: ((" ✓" if vals[r] <= 100 else " ✗") if p == "p99" else "")
                     for r in mirages}
            note = "; ".join(f"{LABELS[r]} {fmt_ratio(ratio(vals[r], t))}{marks[r]}"
                             for r in mirages)
            cats.append((p, note, vals))
        if p == "p99":
            headline.append(("timer_precision: p99 lateness of a 1 ms sleep",
                             [("p99", ratio(m, t), m <= 100)], f"p99 ≤ 100 µs (Mirage: {m:.1f} µs)"))
            if "off" in vals:
                headline.append((f"timer_precision: the same, {LABELS['off']}",
                                 [("p99", ratio(vals["off"], t), None)],
                                 f"none: the kernel's wake-up alone, for reference "
                                 f"({vals['off']:.1f} µs)"))
            if "spin" in vals:
                headline.append((f"timer_precision: the same, {LABELS['spin']}",
                                 [("p99", ratio(vals["spin"], t), vals["spin"] <= 100)],
                                 f"p99 ≤ 100 µs ({LABELS['spin']}: {vals['spin']:.1f} µs)"))
    md.append("| early wake-ups | " + " | ".join(str(rows[r][4]) for r in series)
              + " |" + " |" * (len(mirages) - 1) + " | 0 | |")
    if all(rows[r][5] is not None for r in series):
        t = rows["tokio"][5]
        headline.append(("timer_precision: CPU per 1 ms sleep",
                         [(LABELS[r], ratio(rows[r][5], t), None) for r in mirages],
                         "none set: the price of the lateness above ("
                         + ", ".join(f"{LABELS[r]} {rows[r][5]:.1f} µs" for r in series) + ")"))
        md.append("| CPU per sleep | " + " | ".join(f"{rows[r][5]:.1f} µs" for r in series)
                  + " | " + " | ".join(fmt_ratio(ratio(rows[r][5], t)) for r in mirages)
                  + " | — | |")
    md.append("")
    rounds = re.search(r"^median of the .*$", log, re.M)
    if rounds:
        md.append(f"Over all sleeps as above; the {rounds.group(0)} (one noisy round does not "
                  "move it).\n")
    svg = CHARTS / "timer_precision.svg"
    svg_chart(svg, "timer_precision: lateness of a 1 ms sleep",
              "µs after the deadline (lower is better); max and CPU are in the table",
              series, cats, lambda v: f"{sig(v)} µs", goal_line=100,
              goal_label="goal p99 ≤ 100 µs")
    md.append(f"![timer precision: lateness percentiles, Mirage vs tokio](benches/charts/{svg.name})\n")


def net_section(name: str, md: list[str], headline: list) -> None:
    is_echo = name == "echo"
    md.append(f"## {name}\n")
    if is_echo:
        md.append("TCP echo server (`benches/echo.rs`): a Mirage echo server beside a tokio "
                  "current-thread one, server pinned to CPU 0 and the closed-loop load generator "
                  "to CPU 1, 4 KiB read buffer, one message in flight per connection. "
                  "**syscalls/msg** (`perf stat -e raw_syscalls:sys_enter` on the server over "
                  "the measured window) and **instr/msg** (callgrind user-space instructions, "
                  "(Ir(2N) − Ir(N)) / N) are the figures to judge by; msgs/s and latency are "
                  "dominated by kernel TCP work and machine noise. Lower counts are better. "
                  "**epoll_wait/msg** is the waiting part of syscalls/msg: the rest is the "
                  "reads and writes (2 per message at 64 B). How many events one wait finds "
                  "depends on how the load arrives: a server that answers each message at once "
                  "settles into waking once per message, one that is slower per message finds "
                  "more ready at each wake, and runs of the same server swing between the two.\n")
    else:
        md.append("HTTP `GET /plaintext` (`benches/http.rs`): Mirage's HTTP server example "
                  "beside hyper 1.x on tokio's current-thread runtime and `may_minihttp` on one "
                  "`may` worker; server on CPU 0, `wrk -t1 -c64` (or the exact-count client "
                  "under callgrind) on CPU 1; depth 16 = 16 pipelined requests per write. "
                  "**syscalls/req** and **instr/req** are the figures to judge by. Lower "
                  "counts are better. **epoll_wait/req** is the waiting part of syscalls/req "
                  "(the rest is the server's reads, writes and other calls: at least one read "
                  "and one write per request, or per 16 at depth 16); "
                  "it depends on how many requests each wake finds, as for echo. **p99** is "
                  "wrk's; where wrk prints none (pipelining breaks its coordinated-omission "
                  "correction) it is that of the benchmark's own client, **client p99 ms**.\n")
    note = status_line(name)
    if note:
        md.append(note + "\n")
    log = load_log(name)
    rows = parse_md_table(log, "runtime" if is_echo else "server")
    if not rows:
        md.append("No results.\n")
        return
    md.append(run_info(name) + "\n")
    key = "runtime" if is_echo else "server"
    peers = ["tokio"] if is_echo else ["hyper", "may"]
    unit = "msg" if is_echo else "req"
    data: dict = {}  # config label -> {server: row}
    # The bench's own ratio rows (`**mirage/<peer>**`), computed from its unrounded medians:
    # a ratio of two cells rounded to 3 decimals can be far off (0.020 / 0.002 is 10, where
    # the medians give 9.2).
    bench_ratios: dict = {}  # config label -> {peer: row}
    for r in rows:
        cfg = (f"{r['conns']} conns, {r['size']}" if is_echo else f"depth {r['depth']}")
        ratio_of = re.fullmatch(r"\*\*mirage/(\w+)\*\*", r[key])
        if ratio_of:
            bench_ratios.setdefault(cfg, {})[ratio_of.group(1)] = r
        elif not r[key].startswith("**"):
            data.setdefault(cfg, {})[r[key]] = r
    hdr_peers = " | ".join(LABELS[p] for p in peers)
    ratio_hdr = " | ".join(f"Mirage/{LABELS[p]}" for p in peers)
    md.append(f"| benchmark | Mirage | {hdr_peers} | {ratio_hdr} | goal | |")
    md.append("|---|---:|" + "---:|" * len(peers) * 2 + "---|---|")
    charts = {"syscalls": [], "instr": [], "rate": []}
    head_rows = {"syscalls": [], "instr": [], "rate": [], "p99": []}
    metrics = [(f"syscalls/{unit}", "syscalls"), (f"epoll_wait/{unit}", "epoll"),
               (f"instr/{unit}", "instr"),
               ("msgs/s" if is_echo else "req/s", "rate"), ("p99 µs" if is_echo else "p99 ms", "p99")]
    # wrk prints no p99 when pipelining (its coordinated-omission correction breaks it: see
    # benches/http.rs); the benchmark's own client measures one too, shown where wrk's is
    # missing.
    fallback = {} if is_echo else {"p99 ms": "client p99 ms"}
    for cfg, servers in data.items():
        for col, kind in metrics:
            vals = {s: num(servers.get(s, {}).get(col)) for s in ["mirage"] + peers}
            head_label = cfg
            if None in vals.values() and col in fallback:
                alt = {s: num(servers.get(s, {}).get(fallback[col])) for s in ["mirage"] + peers}
                if None not in alt.values():
                    col, vals, head_label = fallback[col], alt, f"{cfg}, own client"
            m = vals["mirage"]
            rs = []
            for p in peers:
                own = num(bench_ratios.get(cfg, {}).get(p, {}).get(col))
                rs.append(own if own is not None else ratio(m, vals[p]))
            goal, ok, peer_ok = "—", None, [None] * len(peers)
            if is_echo and kind == "syscalls":
                if "64 B" in cfg:
                    goal, ok = "≤ 2.05 per msg", (None if m is None else m <= 2.05)
                else:
                    goal, ok = "≤ tokio", (None if rs[0] is None else rs[0] <= 1.0)
            elif is_echo and kind == "instr":
                goal, ok = "≤ 0.5×", (None if rs[0] is None else rs[0] <= 0.5)
            elif not is_echo and kind == "syscalls":
                goal = "≤ 1× both"
                peer_ok = [None if r is None else r <= 1.0 for r in rs]
                ok = None if None in peer_ok else all(peer_ok)
            elif not is_echo and kind == "instr":
                goal = "≤ 0.3× hyper, < 1× may"
                peer_ok = [None if rs[0] is None else rs[0] <= 0.3,
                           None if rs[1] is None else rs[1] < 1.0]
                ok = None if None in peer_ok else all(peer_ok)
            elif kind == "epoll":
                goal = "(part of syscalls: set by how many events each wait finds)"
            elif kind in ("rate", "p99"):
                # No worse than any peer: a higher rate, a lower p99.
                better = (lambda r: r >= 1.0) if kind == "rate" else (lambda r: r <= 1.0)
                goal = (f"{'≥' if kind == 'rate' else '≤'} 1×{'' if is_echo else ' both'} "
                        "(noisy, informative)")
                peer_ok = [None if r is None else better(r) for r in rs]
                ok = None if None in peer_ok else all(peer_ok)
            cells = " | ".join(fmt_num(vals[p], 4) for p in peers)
            rcells = " | ".join(fmt_ratio(r) for r in rs)
            md.append(f"| {cfg}: {col} | {fmt_num(m, 4)} | {cells} | {rcells} | {goal} | "
                      f"{'' if ok is None else verdict(ok)} |")
            if kind in charts:
                note = ", ".join(f"vs {p} {fmt_ratio(r)}" for p, r in zip(peers, rs))
                mk = "" if ok is None else (" ✓" if ok else " ✗")
                charts[kind].append((cfg, note + mk, vals))
            if kind in head_rows:
                label = f"{cfg}, Mirage {m:.3f}/msg" if (is_echo and kind == "syscalls" and m is not None) else head_label
                head_rows[kind].append((label, rs, peer_ok if not is_echo else [ok]))
    md.append("")
    md.append("<details><summary>The benchmark's own table</summary>\n")
    table_lines = [l for l in log.splitlines() if l.startswith("|")]
    notes = [l for l in log.splitlines() if l.startswith("Goals") or "connections; depth" in l]
    md.append("\n".join(table_lines) + "\n")
    md.extend(n + "\n" for n in notes)
    md.append("</details>\n")
    titles = {"syscalls": (f"syscalls per {'message' if is_echo else 'request'} (server, lower is better)", 3),
              "instr": (f"user-space instructions per {'message' if is_echo else 'request'} (callgrind, lower is better)", 0),
              "rate": (f"{'messages' if is_echo else 'requests'} per second (higher is better; noisy)", 0)}
    for kind, cats in charts.items():
        if not any(v is not None for _, _, vals in cats for v in vals.values()):
            continue
        digits = titles[kind][1]
        fmt = (lambda v, d=digits: f"{v:,.{d}f}") if digits else (lambda v: f"{v:,.0f}")
        svg = CHARTS / f"{name}_{kind}.svg"
        svg_chart(svg, f"{name}: {titles[kind][0].split(' (')[0]}", titles[kind][0],
                  ["mirage"] + peers, cats, fmt,
                  goal_line=2.05 if (is_echo and kind == "syscalls") else None,
                  goal_label="2.05 (64 B goal)", tick_fmt=lambda v: f"{v:,.6g}")
        md.append(f"![{name}: {kind}, Mirage vs {', '.join(peers)}](benches/charts/{svg.name})\n")
    for kind, label in (("syscalls", f"syscalls/{unit}"), ("instr", f"instr/{unit}"),
                        ("rate", "msgs/s" if is_echo else "req/s"), ("p99", "p99 latency")):
        for p_i, p in enumerate(peers):
            goal = {("echo", "syscalls"): "≤ 2.05/msg at 64 B, ≤ tokio at 4 KiB",
                    ("echo", "instr"): "≤ 0.5×",
                    ("http", "syscalls"): "≤ 1×",
                    ("http", "instr"): "≤ 0.3×" if p == "hyper" else "< 1×"}.get(
                (name, kind),
                "≥ 1× (noisy, informative)" if kind == "rate" else "≤ 1× (noisy, informative)")
            headline.append((f"{name}: {label} vs {LABELS[p]}",
                             [(cfg, rs[p_i], oks[p_i]) for cfg, rs, oks in head_rows[kind]], goal))


def machine() -> list[str]:
    model = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return [
        f"- CPU: {model or platform.processor() or '?'}, {os.cpu_count()} logical cores",
        f"- Memory: {mem or '?'}",
        f"- Kernel: Linux {platform.release()}",
        f"- Rust: `{sh(['rustc', '--version']) or '?'}`",
        f"- Commit: `{sh(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD']) or '?'}` when the report was "
        "written; each section's run line names the commit its benchmark ran at (a `--only` run "
        "keeps the other sections' saved results)"
        # The report's own outputs (rewritten by this run) do not count as changes.
        + (" (plus uncommitted changes)" if sh(['git', '-C', str(ROOT), 'status', '--porcelain',
                                                '--untracked-files=no', '--', '.',
                                                ':!BENCHMARKS.md', ':!benches/charts']) else ""),
    ]


def headline_table(headline: list) -> list[str]:
    out = ["| benchmark | Mirage / peer | goal | |", "|---|---|---|---|"]
    for title, ratios, goal in headline:
        if not ratios:
            out.append(f"| {title} | n/a | {goal} | |")
            continue
        parts = [f"{fmt_ratio(r)}" + (f" ({c})" if len(ratios) > 1 else "") for c, r, _ in ratios]
        oks = [ok for _, _, ok in ratios if ok is not None]
        mark = "" if not oks else ("✅ met" if all(oks) else
                                   ("❌ missed" if not any(oks) else f"⚠️ {sum(oks)}/{len(oks)} met"))
        out.append(f"| {title} | {', '.join(parts)} | {goal} | {mark} |")
    return out


def write_report() -> None:
    CHARTS.mkdir(parents=True, exist_ok=True)
    for old in CHARTS.glob("*.svg"):
        old.unlink()
    body: list[str] = []
    headline: list = []
    sections = {
        "tasks": lambda: criterion_section("tasks", body, headline),
        "timers": lambda: criterion_section("timers", body, headline),
        "timer_precision": lambda: precision_section(body, headline),
        "select": lambda: criterion_section("select", body, headline),
        "echo": lambda: net_section("echo", body, headline),
        "http": lambda: net_section("http", body, headline),
    }
    for name in ALL:
        try:
            sections[name]()
        except Exception as err:  # one broken section must not lose the others
            body.append(f"> **Report error** in `{name}`: `{type(err).__name__}: {err}`\n")
    problems = []
    for name in ALL:
        st = load_status(name)
        if st is None:
            problems.append(f"- `{name}`: not run (no saved results).")
        elif st.get("state") != "ok":
            problems.append(f"- `{name}`: {st.get('state')}" + (f" — `{st['detail']}`" if st.get("detail") else ""))
    md = [
        "# Mirage benchmarks",
        "",
        "<!-- Generated by benches/report.py; do not edit by hand. -->",
        "",
        f"Generated {utc_now()} by `python3 benches/report.py` (regenerate from the saved "
        f"results with `python3 benches/report.py --skip-run`; run a subset with "
        f"`--only tasks,timers,timer_precision,select,echo,http`).",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Method",
        "",
        "- Every benchmark runs Mirage and its peer **in the same run, side by side**, on the same "
        "machine, with the same load: tokio's current-thread runtime (with a `LocalSet` where "
        "tasks are spawned) for the runtime benchmarks, built with `enable_all()` (its I/O and "
        "time drivers, which Mirage's Core always has; `enable_io()` for the echo and hyper "
        "servers), and also hyper 1.x and `may_minihttp` for "
        "HTTP. Absolute numbers on this machine mean little; **the ratio Mirage / peer** is "
        "what is compared against the goals of the issues. For times and counts, lower is "
        "better (a ratio of 0.5× means Mirage takes half the time); for throughput the "
        "ratio's inverse is the speed-up.",
        "- The runtime micro-benchmarks use [criterion](https://docs.rs/criterion) "
        f"(`cargo bench --bench <name> -- {' '.join(CRITERION_ARGS)}`, a short setting; groups "
        "that configure their own warm-up, measurement time or sample size keep it). The "
        "tables show criterion's **median** estimate per iteration.",
        "- The network servers (echo, HTTP) are judged by **counts**: syscalls per message or "
        "request (`perf stat -e raw_syscalls:sys_enter` on the server process over the "
        "measured window) and user-space instructions per message or request (callgrind, the "
        "difference of an N and a 2N run, which cancels start-up and teardown). On loopback "
        "most of the time goes to the kernel's TCP stack and the load generator, and the "
        "machine is shared, so throughput and latency move by tens of percent between runs "
        "while the counts barely move; the counts are what the runtime controls. Throughput "
        "and latency are still shown, as information.",
        "- This is a **2-core shared virtual machine**: timings are noisy (a few percent to "
        "tens of percent between runs, more for the network benchmarks). The server and the "
        "load generator are pinned to different cores; the criterion benchmarks (tasks, timers, "
        "select) are pinned to core 0, the servers' core, so that both columns of a comparison "
        "run on the same core (the two virtual cores need not be equally fast: on this host "
        "core 1 has at times run Mirage's tightest loops, such as a timer created and "
        "cancelled, about twice as fast as core 0, and tokio's about 15% faster). The network "
        "benchmarks run with the "
        "settings listed in each section (their environment variables): unless the caller's "
        "environment sets them, `report.py` shortens the benches' own defaults (one timed run "
        "where they take the median of three, shorter windows, one callgrind pair for HTTP) "
        "to fit the whole run in about a quarter of an hour. The 1-minute load "
        "average before and after each benchmark is recorded in its section: on 2 cores, "
        "values well above 1 mean other work was sharing the machine during that run.",
        "- Each chart shows the same numbers as the table above it: one group of horizontal "
        "bars per benchmark id, Mirage in orange and the peer(s) beside it, values at the bar "
        "ends and the ratio under each label (✓ / ✗: goal met / missed).",
        "",
        "## Summary",
        "",
        *headline_table(headline),
        "",
    ]
    if problems:
        md += ["Not run, failed or incomplete in this report:", "", *problems, ""]
    md += body
    OUTPUT.write_text("\n".join(md).rstrip() + "\n")
    print(f"[report] wrote {OUTPUT.relative_to(ROOT)} and {len(list(CHARTS.glob('*.svg')))} charts "
          f"in {CHARTS.relative_to(ROOT)}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated subset of: " + ",".join(ALL))
    ap.add_argument("--skip-run", action="store_true",
                    help="do not run anything; regenerate the report from saved results")
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds allowed to each benchmark's run (default 900)")
    args = ap.parse_args()
    names = ALL
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in ALL]
        if bad:
            ap.error(f"unknown benchmark(s) {bad}; choose from {ALL}")
    if not args.skip_run:
        for name in names:
            run_bench(name, args.timeout)
    write_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
