"""`bawaba dedup` beside Splink 5 + DuckDB, on the same file, in one run.

    cargo build --release -p bawaba -p bawaba-synth --bins
    cargo build --release -p bawaba-matching --example quality
    /tmp/splink/bin/python benches/splink/compare.py [HOUSEHOLDS] [SEED]      # 200000 11

Makes the synthetic caseload twice from one seed (the generator is deterministic): as JSON Lines
for `bawaba dedup` (`synth`, the file an agency would give it) and as the flat CSV Splink is given
(the quality example's `CSV`, one row per record; see README.md here). Then runs `bawaba dedup` on
the JSON Lines (wall time and peak RSS of the process) and Splink on the CSV (`splink_run.py`, in
a child process for its own peak RSS), and scores both the same way: pairwise linkage P/R/F1
(record pairs put in one household vs pairs of the same true household) and overlap P/R/F1 (the
same pairs, restricted to the same aid type and overlapping periods).
"""

import json
import os
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def prf(tp, fp, fn):
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return p, r, f


def score(cluster, truth, kind, start, end):
    """Pairwise linkage and overlap P/R/F1 of a clustering (one label per record)."""
    n = len(truth)
    members = defaultdict(list)
    for i in range(n):
        members[cluster[i]].append(i)
    by_truth = defaultdict(list)
    for i in range(n):
        by_truth[truth[i]].append(i)

    def ov(i, j):
        return kind[i] == kind[j] and start[i] <= end[j] and start[j] <= end[i]

    res = {}
    for name, only in (("linkage", False), ("overlap", True)):
        pred, tp, true = 0, 0, 0
        for v in members.values():
            for a in range(len(v)):
                for b in range(a + 1, len(v)):
                    if only and not ov(v[a], v[b]):
                        continue
                    pred += 1
                    tp += truth[v[a]] == truth[v[b]]
        for v in by_truth.values():
            for a in range(len(v)):
                for b in range(a + 1, len(v)):
                    if not only or ov(v[a], v[b]):
                        true += 1
        res[name] = prf(tp, pred - tp, true - tp)
    return res


# Runs argv[1:] and prints the peak RSS of that child alone (KiB) on its last stderr line.
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
)


def timed(cmd):
    """Runs a command; returns (wall seconds, peak RSS of that process in MiB, its stdout)."""
    t0 = time.time()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *cmd], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wall = time.time() - t0
    sys.stderr.write(done.stderr)
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024, done.stdout


def main():
    hh = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    work = os.environ.get("WORK", f"/tmp/bawaba-compare-{hh}-{seed}")
    os.makedirs(work, exist_ok=True)
    jsonl, csv_path, answers = (os.path.join(work, f) for f in ("caseload.jsonl", "caseload.csv", "answers.jsonl"))
    rel = os.path.join(TARGET, "release")
    subprocess.run(
        [os.path.join(rel, "synth"), "--households", str(hh), "--seed", str(seed), "--out", jsonl], check=True
    )
    env = dict(os.environ, HH=str(hh), SEED=str(seed), CSV=csv_path)
    subprocess.run([os.path.join(rel, "examples", "quality")], check=True, env=env, stdout=subprocess.DEVNULL)

    truth, kind, start, end = [], [], [], []
    with open(jsonl) as f:
        for line in f:
            r = json.loads(line)
            a = r["body"]["assistance"]
            truth.append(r["truth"]["household"])
            kind.append(a["type"])
            start.append(a["period_start"])
            end.append(a.get("period_end") or a["period_start"])
    n = len(truth)

    wall_b, peak_b, _ = timed([os.path.join(rel, "bawaba"), "dedup", jsonl, "--out", answers, "--no-progress"])
    with open(answers) as f:
        lines = [json.loads(l) for l in f]
    assert len(lines) == n, f"{len(lines)} answers for {n} records"
    refused = sum(1 for l in lines if "error" in l)
    cluster = [l.get("household_id", f"refused-{i}") for i, l in enumerate(lines)]
    res_b = score(cluster, truth, kind, start, end)

    wall_s, peak_s, out = timed([sys.executable, os.path.join(HERE, "splink_run.py"), csv_path])
    figures = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split()[1:])

    print(f"\n{n} records of {hh} households (seed {seed}); bawaba refused {refused}")
    print("| | wall | peak RSS | linkage P / R / F1 | overlap P / R / F1 |")
    print("|---|---|---|---|---|")
    lb, ob = res_b["linkage"], res_b["overlap"]
    print(
        f"| bawaba dedup | {wall_b:.1f} s | {peak_b:.0f} MiB | {lb[0]:.4f} / {lb[1]:.4f} / {lb[2]:.4f} "
        f"| {ob[0]:.4f} / {ob[1]:.4f} / {ob[2]:.4f} |"
    )
    # Splink's own wall (training, prediction and one clustering), not its process's: the
    # process also clusters again at other thresholds to give Splink its best one.
    wall_s = float(figures["wall_s"])
    f = {k: float(v) for k, v in figures.items() if k not in ("threshold",)}
    print(
        f"| Splink 5 + DuckDB (threshold {figures['threshold']}) | {wall_s:.1f} s | {peak_s:.0f} MiB "
        f"| {f['link_p']:.4f} / {f['link_r']:.4f} / {f['link_f1']:.4f} "
        f"| {f['over_p']:.4f} / {f['over_r']:.4f} / {f['over_f1']:.4f} |"
    )
    print(f"speed-up: {wall_s / wall_b:.1f}x")

if __name__ == "__main__":
    main()
