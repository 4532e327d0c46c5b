//! The planning reports over the project's caseload size: the coverage report and the 3W
//! answered by the real gateway (the release binary) over 200,000 resolved households and
//! their records, on SQLite (and on PostgreSQL when `BENCH_POSTGRES_URL` names a server it may
//! make a schema on). Prints each request's latency as the client measures it.
//!
//! The rows are written straight into the database the gateway made (households, records with
//! their resolved place codes, the groups of their households, needs): posting half a million
//! records through intake is the load run's job (`benches/load.rs`), and the reports read only
//! these tables. 5 % of the households are merged into another, as reviews leave them. Body
//! hashes are written as already keyed (`k1:`), so the gateway's at-rest conversion has no
//! half a million rows to rewrite at start (on PostgreSQL that took longer than the start is
//! waited for).
//!
//! `cargo bench --bench planning`; `BENCH_HOUSEHOLDS=20000` for a smaller caseload;
//! `BENCH_LOG=bawaba=debug` for the time each report spends reading, counting and writing.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bawaba::store::DbTarget;
use bawaba_places::{Gazetteer, PlaceKind};
use diesel::connection::SimpleConnection;

const MASTER: &str = "planning-bench-master-key-0123456789abcdef";
const DATA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const TYPES: [&str; 10] =
    ["cash", "food", "voucher", "in_kind", "shelter", "health", "education", "psychosocial", "livelihood", "other"];
const GROUPS: [&str; 6] =
    ["disability", "chronic_illness", "child_protection", "women_protection", "elderly", "female_headed"];

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_bawaba"))
        .arg("serve")
        .env("BAWABA_DATABASE_URL", db)
        .env("BAWABA_LISTEN", format!("127.0.0.1:{port}"))
        .env("BAWABA_MASTER_KEY", MASTER)
        .env("BAWABA_DATA_KEY", DATA_KEY)
        // `BENCH_LOG=bawaba=debug` shows the reports' phases (read, counted, built).
        .env("BAWABA_LOG", std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bawaba");
    let server = Server { child, base };
    for _ in 0..2400 {
        if ureq::get(&format!("{}/healthz", server.base)).call().is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("bawaba did not start");
}

/// A small deterministic generator (the caseload is the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Writes the caseload with multi-row inserts, in one transaction.
fn fill(db: &str, households: usize) -> usize {
    let mut conn = DbTarget::parse(db).and_then(|t| t.connect()).expect("connect");
    let g = Gazetteer::builtin();
    let localities: Vec<(String, String)> = g
        .places(Some(PlaceKind::Locality))
        .into_iter()
        .filter_map(|p| Some((p.parent.clone()?, p.code.clone())))
        .collect();
    let mut rng = Lcg(7);
    let mut sql = String::from("BEGIN;\n");
    let mut agencies = Vec::new();
    for a in 0..12 {
        agencies.push(format!("ag-{a:02}"));
        sql.push_str(&format!(
            "INSERT INTO agencies (id, code, name, created_at) VALUES ('ag-{a:02}', 'AG{a:02}', 'Agency {a}', '2026-01-01T00:00:00Z');\n"
        ));
    }
    let mut rows = Vec::new();
    let flush = |sql: &mut String, table: &str, cols: &str, rows: &mut Vec<String>| {
        for chunk in rows.chunks(500) {
            sql.push_str(&format!("INSERT INTO {table} ({cols}) VALUES {};\n", chunk.join(",")));
        }
        rows.clear();
    };
    for h in 0..households {
        let merged = if h > 0 && h % 20 == 0 { format!("'hh-{:07}'", h - 1) } else { "NULL".to_owned() };
        rows.push(format!("('hh-{h:07}', {h}, {merged}, '2026-01-01T00:00:00Z')"));
    }
    flush(&mut sql, "households", "id, seq, merged_into, created_at", &mut rows);
    let mut groups = Vec::new();
    let mut records = 0;
    for h in 0..households {
        let (gov, loc) = &localities[rng.below(localities.len())];
        let n = 1 + rng.below(4);
        for k in 0..n {
            let agency = &agencies[rng.below(agencies.len())];
            let t = TYPES[rng.below(if k == 0 { 3 } else { TYPES.len() })];
            let month = 1 + rng.below(12);
            let id = format!("rec-{records:08}");
            rows.push(format!(
                "('{id}', '{agency}', 'ext-{records}', 'hh-{h:07}', 'k1:bench', '{{}}', '{t}', NULL, NULL, NULL, \
                 '2026-{month:02}-01', '2026-{month:02}-28', NULL, NULL, '2026-01-01T00:00:00Z', '{gov}', '{loc}')"
            ));
            if rng.below(5) == 0 {
                groups.push(format!("('{id}', '{}')", GROUPS[rng.below(GROUPS.len())]));
            }
            records += 1;
        }
        if rows.len() >= 5_000 {
            flush(
                &mut sql,
                "records",
                "id, agency_id, external_id, household_id, body_hash, answer, assistance_type, program, amount, \
                 currency, period_start, period_end, governorate, locality, created_at, governorate_code, locality_code",
                &mut rows,
            );
            flush(&mut sql, "record_groups", "record_id, grp", &mut groups);
            conn.batch_execute(&sql).expect("insert");
            sql.clear();
        }
    }
    flush(
        &mut sql,
        "records",
        "id, agency_id, external_id, household_id, body_hash, answer, assistance_type, program, amount, \
         currency, period_start, period_end, governorate, locality, created_at, governorate_code, locality_code",
        &mut rows,
    );
    flush(&mut sql, "record_groups", "record_id, grp", &mut groups);
    // Needs for every governorate × the three main sectors, and for the elderly.
    let mut needs = Vec::new();
    for p in g.places(Some(PlaceKind::Governorate)) {
        for t in &TYPES[..3] {
            for grp in ["", "elderly"] {
                needs.push(format!(
                    "('{}', '{t}', '{grp}', '2026-01-01', '2026-12-31', 5000, 4000, 'bench', '2026-01-01T00:00:00Z')",
                    p.code
                ));
            }
        }
    }
    flush(
        &mut sql,
        "needs",
        "area, sector, grp, period_start, period_end, households_in_need, households_targeted, source, updated_at",
        &mut needs,
    );
    sql.push_str("COMMIT;\n");
    conn.batch_execute(&sql).expect("insert");
    conn.batch_execute("ANALYZE").expect("analyze");
    records
}

fn time(server: &Server, what: &str, path: &str) {
    let mut ms = Vec::new();
    let mut bytes = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let resp = ureq::get(&format!("{}{path}", server.base))
            .set("Authorization", &format!("Bearer {MASTER}"))
            .call()
            .expect(path);
        // Read whole: `into_string` stops at 10 MB, and the 3W of a large caseload is more.
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).expect("body");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = body.len();
    }
    ms.sort_by(f64::total_cmp);
    // The machine's load beside each figure: on a shared machine a figure means little without it.
    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split(' ').next().map(str::to_owned));
    println!(
        "  {what:<44} median {:>7.1} ms, max {:>7.1} ms ({bytes} bytes; load {})",
        ms[1],
        ms[2],
        load.as_deref().unwrap_or("?")
    );
}

fn run(label: &str, db: &str, households: usize) {
    // The gateway makes the schema; the caseload is written; the gateway starts again on it.
    drop(start(db));
    let t = Instant::now();
    let records = fill(db, households);
    println!(
        "{label}: {households} households ({} merged), {records} records written in {:.1} s",
        households / 20,
        t.elapsed().as_secs_f64()
    );
    let server = start(db);
    time(&server, "coverage, by governorate × sector", "/v1/reports/coverage");
    time(&server, "coverage, one year, by governorate × sector", "/v1/reports/coverage?from=2026-01-01&to=2026-12-31");
    time(&server, "coverage, Hebron's localities × sector", "/v1/reports/coverage?governorate=PS-HBN");
    time(&server, "coverage, elderly only", "/v1/reports/coverage?group=elderly");
    time(&server, "coverage, CSV", "/v1/reports/coverage?format=csv");
    time(&server, "3W, JSON", "/v1/directory/3w");
    time(&server, "3W, one quarter, HXL", "/v1/directory/3w?from=2026-01-01&to=2026-03-31&format=hxl");
}

fn main() {
    let households: usize = std::env::var("BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("planning.db").to_string_lossy().into_owned();
    run("SQLite", &db, households);
    if let Ok(admin) = std::env::var("BENCH_POSTGRES_URL") {
        let schema = format!("bench_{}", std::process::id());
        let mut conn = DbTarget::parse(&admin).and_then(|t| t.connect()).expect("connect to PostgreSQL");
        conn.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("schema");
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
        run("PostgreSQL", &url, households);
        let _ = conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    }
}
