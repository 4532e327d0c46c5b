#!/usr/bin/env python3
"""The reproductions of issue 16 ("Nothing leaks, nothing blows up"), item 2, against the real
binary: the same family posted N times in one batch, 10,000 records sharing one name with
distinct national IDs, and 617 records over three common names and one birth date. For each it
prints the batch's wall time, the answer's size, the flags stored, the gateway's peak memory and
the database's size, then the times and sizes of a household view, a report page and the
report's CSV afterwards.

    BAWABA_BIN=target/release/bawaba python3 benches/reproductions/issue16.py [sqlite|postgres]

PostgreSQL uses BAWABA_TEST_POSTGRES_URL's server (a database made and dropped for the run).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

MASTER = "repro-issue16-master-key-0123456789abcdef"
DATA_KEY = "ab" * 32


def valid_id(seed):
    """A nine-digit national ID with a valid check digit, different for every seed."""
    body = f"{(4 * 10**7 + seed * 7919) % 10**8:08d}"
    for last in range(10):
        digits = body + str(last)
        total = 0
        for i, c in enumerate(digits):
            x = int(c) * (1 if i % 2 == 0 else 2)
            total += x // 10 + x % 10
        if total % 10 == 0:
            return digits
    raise AssertionError(body)


def call(base, method, path, key, body=None, raw=False):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=3600) as r:
            payload = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        payload = e.read()
        status = e.code
    took = time.monotonic() - started
    return status, (payload if raw else json.loads(payload or b"null")), took, len(payload)


def rss_peak_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def family(i, name, nid, dob="1980-05-01"):
    return {
        "external_id": f"r-{i}",
        "assistance": {"type": "cash", "amount": 100.0, "currency": "ILS",
                       "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل", "locality": "يطا"},
        "members": [{"role": "head", "name": name, "national_id": nid, "date_of_birth": dob, "sex": "M"}],
    }


def scenarios():
    yield "same family x100", [family(i, "محمد احمد محمود الشاعر", "401234563") for i in range(100)]
    yield "same family x400", [family(i, "محمد احمد محمود الشاعر", "401234563") for i in range(400)]
    yield "same family x10000", [family(i, "محمد احمد محمود الشاعر", "401234563") for i in range(10_000)]
    yield "one name, 10000 distinct IDs", [
        family(i, "محمد احمد محمود الشاعر", valid_id(i)) for i in range(10_000)]
    names = ["محمد احمد محمود الشاعر", "احمد محمد علي العمايرة", "محمود يوسف خليل الجعبري"]
    rnd = random.Random(16)
    yield "617 records, three names, one birth date", [
        family(i, names[i % 3], valid_id(100_000 + rnd.randrange(300))) for i in range(617)]


def run(backend, label, records):
    tmp = tempfile.mkdtemp(prefix="repro16-")
    env = dict(os.environ, BAWABA_MASTER_KEY=MASTER, BAWABA_LOG="warn", BAWABA_RATE_PER_KEY="off",
               BAWABA_RATE_PER_ADDRESS="off", BAWABA_DATA_KEY=DATA_KEY)
    dbname = None
    if backend == "postgres":
        admin = os.environ.get("BAWABA_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test")
        dbname = f"repro16_{os.getpid()}_{int(time.time())}"
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {dbname}"], check=True)
        url = admin.rsplit("/", 1)[0] + "/" + dbname
    else:
        url = os.path.join(tmp, "bawaba.db")
    env["BAWABA_DATABASE_URL"] = url
    port = 18000 + os.getpid() % 1000
    proc = subprocess.Popen([os.environ.get("BAWABA_BIN", "target/release/bawaba"), "serve",
                             "--listen", f"127.0.0.1:{port}"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        _, a, _, _ = call(base, "POST", "/v1/agencies", MASTER, {"code": "WFP", "name": "WFP", "role": "submitter"})
        _, cw, _, _ = call(base, "POST", "/v1/agencies", MASTER, {"code": "MOSD", "name": "MOSD", "role": "caseworker"})
        _, aud, _, _ = call(base, "POST", "/v1/agencies", MASTER, {"code": "AUD", "name": "AUD", "role": "auditor"})
        key, cw, aud = a["api_key"], cw["api_key"], aud["api_key"]
        status, out, took, size = call(base, "POST", "/v1/records/batch", key, {"records": records})
        results = out.get("results", []) if isinstance(out, dict) else []
        flags = sum(len(r.get("flags", [])) for r in results)
        stored = sum(1 for r in results if r.get("record_id"))
        hid = next((r["household_id"] for r in results if r.get("household_id")), None)
        line = (f"{label:42s} {status} {stored:>6} stored {took:7.2f} s answer {size / 1e6:7.2f} MB "
                f"flags {flags:>7}")
        if hid:
            s, _, t, n = call(base, "GET", f"/v1/households/{hid}", cw)
            line += f" | view {s} {t * 1000:6.0f} ms {n / 1e3:6.0f} KB"
        s, _, t, n = call(base, "GET", "/v1/reports/overlaps?from=2026-01-01&to=2026-12-31&limit=10", aud)
        line += f" | report page {s} {t * 1000:5.0f} ms"
        s, _, t, n = call(base, "GET", "/v1/reports/overlaps?from=2026-01-01&to=2026-12-31&format=csv", aud,
                          raw=True)
        line += f" | CSV {s} {t * 1000:5.0f} ms {n / 1e6:5.2f} MB"
        line += f" | peak RSS {rss_peak_mib(proc.pid):6.0f} MiB"
        if backend == "sqlite":
            on_disk = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
            line += f" | files {on_disk / 1e6:6.1f} MB"
        print(line, flush=True)
    finally:
        proc.terminate()
        proc.wait()
        if dbname:
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {dbname}"], check=False)


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    print(f"backend {backend}, load average {os.getloadavg()[0]:.1f}")
    for label, records in scenarios():
        run(backend, label, records)


if __name__ == "__main__":
    main()
