"""The matcher on a caseload written by other hands (`make.py`), through `bawaba dedup`.

    cargo build --release -p bawaba --bins
    python3 benches/othercase/run.py HOUSEHOLDS [SEED] [--show N]

Makes the caseload, runs `bawaba dedup` on it (the same engine and answers as intake), and
prints pairwise linkage and overlap P/R/F1 (scored by `benches/splink/compare.py`'s `score`),
review flags (band `possible`) per 100 records, records/s, and what went wrong: records of
households served by one agency only that were joined elsewhere, the largest resolved
household, and with `--show N` the names of N wrong joins and N missed ones.

`REUSE=1` scores the answers already in `$WORK` (default `/tmp/othercase-HH-SEED`) again, also
those written by the matching crate alone (`cargo run --release -p bawaba-matching --example
othercase -- $WORK/caseload.jsonl $WORK/answers.jsonl`: minutes of building, not the gateway's).
"""

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benches", "splink"))
from compare import score  # noqa: E402

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def agencies_of_line(lines, truth, i, _memo={}):
    """The agencies serving line `i`'s true household."""
    if not _memo:
        for l, t in zip(lines, truth):
            _memo.setdefault(t, set()).add(l["agency"])
    return _memo[truth[i]]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show = 0
    if "--show" in sys.argv:
        show = int(sys.argv[sys.argv.index("--show") + 1])
        args = [a for a in args if a != str(show)]
    if "--review" in sys.argv:
        r = sys.argv[sys.argv.index("--review") + 1]
        args = [a for a in args if a != r]
    hh = int(args[0]) if args else 20_000
    seed = int(args[1]) if len(args) > 1 else 7
    work = os.environ.get("WORK", f"/tmp/othercase-{hh}-{seed}")
    os.makedirs(work, exist_ok=True)
    cases, answers = os.path.join(work, "caseload.jsonl"), os.path.join(work, "answers.jsonl")
    if not os.path.exists(cases):
        subprocess.run([sys.executable, os.path.join(HERE, "make.py"), str(hh), str(seed), cases], check=True)
    lines = [json.loads(l) for l in open(cases, encoding="utf-8")]
    t0 = time.time()
    # REUSE=1 scores the answers of the last run again (no dedup), e.g. with other --show/--review.
    if not (os.environ.get("REUSE") and os.path.exists(answers)):
        bawaba = os.path.join(TARGET, "release", "bawaba")
        subprocess.run([bawaba, "dedup", cases, "--out", answers, "--no-progress"], check=True)
    wall = time.time() - t0
    out = [json.loads(l) for l in open(answers, encoding="utf-8")]
    assert len(out) == len(lines), f"{len(out)} answers for {len(lines)} records"
    refused = [i for i, o in enumerate(out) if "error" in o]
    truth = [l["truth"]["household"] for l in lines]
    a = [l["body"]["assistance"] for l in lines]
    kind = [x["type"] for x in a]
    start = [x["period_start"] for x in a]
    end = [x.get("period_end") or x["period_start"] for x in a]
    cluster = [o.get("household_id", f"refused-{i}") for i, o in enumerate(out)]
    res = score(cluster, truth, kind, start, end)
    review = sum(1 for o in out for f in o.get("flags", []) if f.get("band") == "possible")
    n = len(lines)

    agencies_of = defaultdict(set)
    for l in lines:
        agencies_of[l["truth"]["household"]].add(l["agency"])
    by_cluster = defaultdict(list)
    for i, c in enumerate(cluster):
        by_cluster[c].append(i)
    lone_joined = 0
    for i, c in enumerate(cluster):
        if len(agencies_of[truth[i]]) == 1 and any(truth[j] != truth[i] for j in by_cluster[c]):
            lone_joined += 1
    biggest = max(by_cluster.values(), key=lambda v: len({truth[j] for j in v}))
    lk, ov = res["linkage"], res["overlap"]
    print(f"{n} records of {hh} households (seed {seed}), {len(refused)} refused, {n / wall:.0f} records/s")
    print(f"linkage P/R/F1 {lk[0]:.4f} / {lk[1]:.4f} / {lk[2]:.4f}")
    print(f"overlap P/R/F1 {ov[0]:.4f} / {ov[1]:.4f} / {ov[2]:.4f}")
    print(f"review flags per 100 records {100 * review / n:.2f}")
    # What the review queue holds: flags between records of one true household (a match the
    # matcher was unsure of) and between different ones (a namesake it could not rule out).
    line_of = {(l["agency"], l["body"]["external_id"]): i for i, l in enumerate(lines)}
    same, other, lone = 0, 0, 0
    review_show = int(sys.argv[sys.argv.index("--review") + 1]) if "--review" in sys.argv else 0
    for i, o in enumerate(out):
        for f in o.get("flags", []):
            if f.get("band") != "possible":
                continue
            j = line_of.get((f.get("matched_agency"), f.get("matched_external_id")))
            if j is not None and truth[j] == truth[i]:
                same += 1
            else:
                other += 1
                lone += len(agencies_of_line(lines, truth, i)) == 1
                if other <= review_show and j is not None:
                    for k in (i, j):
                        ms = lines[k]["body"]["members"]
                        print(f"  {lines[k]['agency']:5} " + " | ".join(
                            f"{m['name']} {m.get('date_of_birth', '')} {m.get('national_id', '')}".strip() for m in ms))
                    print(f"  score {f.get('score')}\n")
    print(f"review flags: {same} within a true household, {other} across households ({lone} on single-agency ones)")
    print(f"records of single-agency households joined with another household: {lone_joined}")
    print(f"largest resolved household: {len(biggest)} records of {len({truth[j] for j in biggest})} households")
    if refused:
        codes = Counter(out[i]["error"].get("code") for i in refused)
        print("refused:", dict(codes), out[refused[0]]["error"])

    if show:
        def names(i):
            return f"{lines[i]['agency']:5} " + " | ".join(m["name"] for m in lines[i]["body"]["members"])

        print("\n-- wrong joins (a record put with records of another true household)")
        shown = 0
        for c, v in by_cluster.items():
            groups = defaultdict(list)
            for j in v:
                groups[truth[j]].append(j)
            if len(groups) > 1 and shown < show:
                shown += 1
                for t, js in list(groups.items())[:3]:
                    print(f"  true {t}: {names(js[0])}")
                print()
        print("-- missed (one true household split over resolved households)")
        by_truth = defaultdict(list)
        for i, t in enumerate(truth):
            by_truth[t].append(i)
        shown = 0
        for t, v in by_truth.items():
            cs = defaultdict(list)
            for j in v:
                cs[cluster[j]].append(j)
            if len(cs) > 1 and shown < show:
                shown += 1
                for c, js in list(cs.items())[:3]:
                    print(f"  {c}: {names(js[0])}")
                print()


if __name__ == "__main__":
    main()
