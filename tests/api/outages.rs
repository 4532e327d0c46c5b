//! When the database cannot take work: full (SQLite's size cap, `--sqlite-max-mb`), read-only,
//! or gone for a moment (a PostgreSQL restart, by hand: `.ci/faults N --restart-postgres`). The
//! gateway answers 503 `unavailable` with `Retry-After` and a message saying which, never 500,
//! and writes nothing by halves. Also the clean stop: `SIGTERM` finishes what was acknowledged.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::scale::{Gateway, agency, consistency, doubled, get_json, send};
use crate::support::{Backend, MASTER, TestDb};

/// `n` records of the synthetic caseload, as posted.
fn caseload(seed: u64, n: usize) -> Vec<Value> {
    let c = bawaba_synth::generate(&bawaba_synth::Config::small(seed));
    let records: Vec<Value> = c.records.iter().take(n).map(|r| r.to_api_json()).collect();
    assert_eq!(records.len(), n, "the caseload is large enough");
    records
}

/// The bytes a SQLite database holds (its pages, the write-ahead log's included).
fn sqlite_bytes(db: &TestDb) -> u64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = db.connect();
    let pages = diesel::sql_query("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()")
        .get_result::<N>(&mut c)
        .expect("page count")
        .n;
    pages as u64
}

/// A batch posted when the SQLite database reaches its size cap: the transactions before are
/// stored whole; the one that meets the cap (SQLite rolls it back as a whole) and every item
/// after are answered `unavailable` ("the database is full") and nothing of them is stored (no
/// record without its persons, its household or its flags); single posts are then stored while
/// they fit and answered 503 with `Retry-After` saying so once they do not. Started again without
/// the cap, the same batch sent again replays what was stored and stores the rest, once.
#[test]
fn a_full_database_answers_503_and_writes_nothing_by_halves() {
    let db = TestDb::new(Backend::Sqlite);
    let key = {
        let g = Gateway::start(&db.url);
        agency(&g.base, "WFP", "submitter")
    };
    // The cap: a little over what the database holds now, so that the batch meets it half-way
    // (past its first transaction of 400 items, short of its last). How many MiB that is depends
    // on what a record takes, so the cap starts 1 MiB over and grows a MiB at a time while the
    // batch's first transaction does not fit (refused whole, it leaves the database as it was).
    let base_mb = sqlite_bytes(&db).div_ceil(1 << 20);
    let records = caseload(11, 1500);
    let batch = json!({ "records": records });
    let mut cap_mb = base_mb;
    let first = loop {
        cap_mb += 1;
        assert!(cap_mb <= base_mb + 8, "no cap up to {cap_mb} MiB stored the batch's first transaction");
        let g = Gateway::start_with(&db.url, &[("BAWABA_SQLITE_MAX_MB", &cap_mb.to_string())]);
        let a = send("POST", &format!("{}/v1/records/batch", g.base), Some(&key), Some(&batch));
        assert_eq!(a.status, 200, "{}", a.body);
        let results = a.body["results"].as_array().expect("results").clone();
        assert_eq!(results.len(), records.len());
        if results.iter().all(|r| !r["error"].is_null()) {
            assert_eq!(db.count("records"), 0, "a refused batch stored nothing");
            continue;
        }
        // Single posts now: stored while they fit (a batch's transaction refused as a whole
        // frees what it had taken, room for fewer than its 400 items), then answered 503,
        // unavailable, saying the database is full.
        let singles = caseload(11, records.len() + 500).split_off(records.len());
        let mut fitted = 0;
        let one = loop {
            let a = send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(&singles[fitted]));
            if a.status != 201 {
                break a;
            }
            fitted += 1;
            assert!(fitted < singles.len(), "{fitted} single posts stored past the cap");
        };
        assert_eq!(one.status, 503, "{}", one.body);
        assert_eq!(one.body["error"]["code"], "unavailable", "{}", one.body);
        let message = one.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("full"), "{message}");
        assert!(one.retry_after.is_some(), "503 without Retry-After");
        // And again: the cap is not met by chance.
        let again = send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(&singles[fitted]));
        assert_eq!(again.status, 503, "{}", again.body);
        // Reads still work.
        let (status, _) = get_json(&format!("{}/readyz", g.base), None);
        assert_eq!(status, 200);
        break (results, fitted);
    };
    let (first, fitted) = first;
    let stored: Vec<&Value> = first.iter().filter(|r| r["error"].is_null()).collect();
    let refused: Vec<&Value> = first.iter().filter(|r| !r["error"].is_null()).collect();
    assert!(!stored.is_empty() && !refused.is_empty(), "the batch met the cap half-way: {} stored", stored.len());
    for r in &refused {
        assert_eq!(r["error"]["code"], "unavailable", "{r}");
        assert!(r["record_id"].is_null(), "{r}");
    }
    // What the answers say is what is stored, each record whole.
    assert_eq!(db.count("records"), (stored.len() + fitted) as i64);
    assert_eq!(consistency(&db), ["ok"]);
    let first_refused = refused[0]["error"]["message"].as_str().unwrap_or("").to_owned();
    eprintln!(
        "full at {cap_mb} MiB: {} of the batch stored, {} refused ({first_refused}); then {fitted} single posts \
         stored before one was refused; consistency ok",
        stored.len(),
        refused.len()
    );

    // Room again: the same batch replays what was stored and stores the rest, once.
    let g = Gateway::start(&db.url);
    let a = send("POST", &format!("{}/v1/records/batch", g.base), Some(&key), Some(&batch));
    assert_eq!(a.status, 200, "{}", a.body);
    let again = a.body["results"].as_array().expect("results");
    for (r, before) in again.iter().zip(&first) {
        assert!(r["error"].is_null(), "{r}");
        if before["error"].is_null() {
            assert_eq!(r["replayed"], true, "{r}");
            assert_eq!(r["record_id"], before["record_id"], "{r}");
        }
    }
    assert_eq!(db.count("records"), (records.len() + fitted) as i64);
    assert!(doubled(&db).is_empty());
    assert_eq!(consistency(&db), ["ok"]);
}

/// A SQLite database served read-only (opened `file:PATH?mode=ro`, as a copy on read-only media
/// would be, its data key given): reads are served (a record, a search, a check); every write is
/// answered 503 `unavailable` with `Retry-After`, saying the database is read-only (a single
/// post, each item of a batch, a new agency), and nothing is written: the file is the same bytes
/// after as before.
#[test]
fn a_read_only_database_serves_reads_and_refuses_writes() {
    let db = TestDb::new(Backend::Sqlite);
    let records = caseload(19, 30);
    let (key, caseworker, id) = {
        let g = Gateway::start(&db.url);
        let key = agency(&g.base, "WFP", "submitter");
        let caseworker = agency(&g.base, "OCHA", "caseworker");
        let a = send(
            "POST",
            &format!("{}/v1/records/batch", g.base),
            Some(&key),
            Some(&json!({ "records": records[..20] })),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["results"][0]["record_id"].as_str().expect("record_id").to_owned();
        (key, caseworker, id)
    };
    let data_key = std::fs::read_to_string(format!("{}.key", db.url)).expect("the key file");
    let files = || ["", "-wal"].map(|end| std::fs::read(format!("{}{end}", db.url)).unwrap_or_default());
    let before = (db.counts(), files());
    let g = Gateway::start_with(&format!("file:{}?mode=ro", db.url), &[("BAWABA_DATA_KEY", data_key.trim())]);
    // Reads.
    let (status, body) = get_json(&format!("{}/v1/records/{id}", g.base), Some(&key));
    assert_eq!(status, 200, "{body}");
    let name = records[0]["members"][0]["name"].as_str().expect("a name");
    let search = send(
        "GET",
        &format!("{}/v1/households/search?name={}", g.base, name.replace(' ', "%20")),
        Some(&caseworker),
        None,
    );
    assert_eq!(search.status, 200, "{}", search.body);
    assert!(!search.body["candidates"].as_array().is_none_or(Vec::is_empty), "{}", search.body);
    let check = send("POST", &format!("{}/v1/records/check", g.base), Some(&caseworker), Some(&records[25]));
    assert_eq!(check.status, 200, "{}", check.body);
    // Writes: refused, saying why.
    let refused = |a: &crate::scale::Answer, what: &str| {
        assert_eq!(a.status, 503, "{what}: {}", a.body);
        assert_eq!(a.body["error"]["code"], "unavailable", "{what}: {}", a.body);
        let message = a.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("read-only"), "{what}: {message}");
        assert!(a.retry_after.is_some(), "{what}: 503 without Retry-After");
    };
    refused(&send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(&records[20])), "a post");
    let batch =
        send("POST", &format!("{}/v1/records/batch", g.base), Some(&key), Some(&json!({ "records": records[21..25] })));
    assert_eq!(batch.status, 200, "{}", batch.body);
    for r in batch.body["results"].as_array().expect("results") {
        assert_eq!(r["error"]["code"], "unavailable", "{r}");
        assert!(r["error"]["message"].as_str().unwrap_or("").contains("read-only"), "{r}");
        assert!(r["record_id"].is_null(), "{r}");
    }
    let new_agency = send(
        "POST",
        &format!("{}/v1/agencies", g.base),
        Some(MASTER),
        Some(&json!({"code": "UNICEF", "name": "UNICEF agency", "role": "submitter"})),
    );
    refused(&new_agency, "a new agency");
    // Still ready to read.
    let (status, ready) = get_json(&format!("{}/readyz", g.base), None);
    assert_eq!(status, 200, "{ready}");
    drop(g);
    // Nothing written: the same bytes (read first: a connection opened to count may tidy the
    // log up when it closes), the same rows.
    let bytes = files();
    let after = (db.counts(), bytes);
    assert_eq!(before.0, after.0, "rows (households, records, persons, flags, audit events)");
    assert!(before.1 == after.1, "the database file or its log changed");
    assert_eq!(consistency(&db), ["ok"]);
}

/// SQLite's errors for a full database and a read-only one are read as outages (503
/// `unavailable`), not as faults of the gateway's own (500): shown on real SQLite connections.
#[test]
fn full_and_read_only_sqlite_errors_are_outages() {
    use bawaba::store::{DbTarget, Outage};
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.db").to_string_lossy().into_owned();
    let mut rw = DbTarget::parse(&path).and_then(|t| t.connect()).expect("open");
    rw.batch_execute("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 8;").expect("set up");
    let full = diesel::sql_query("INSERT INTO t VALUES (zeroblob(1000000))").execute(&mut rw).expect_err("full");
    assert_eq!(Outage::of(&full), Some(Outage::Full), "{full}");
    let mut ro = DbTarget::parse(&format!("file:{path}?mode=ro")).and_then(|t| t.connect()).expect("open read-only");
    let refused = diesel::sql_query("INSERT INTO t VALUES (1)").execute(&mut ro).expect_err("read-only");
    assert_eq!(Outage::of(&refused), Some(Outage::ReadOnly), "{refused}");
    // A fault of the request's own is not an outage.
    let bad = diesel::sql_query("INSERT INTO nowhere VALUES (1)").execute(&mut rw).expect_err("no table");
    assert_eq!(Outage::of(&bad), None, "{bad}");
}

/// `SIGTERM` while clients post: the gateway stops taking connections, finishes the requests
/// under way and exits 0; every record it acknowledged is stored, once, and found after a
/// restart. On SQLite and, when configured, PostgreSQL.
fn stopping_cleanly_loses_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut g = Gateway::start(&db.url);
    let key = agency(&g.base, "WFP", "submitter");
    let records = caseload(13, 400);
    let (acked_tx, acked_rx) = std::sync::mpsc::channel::<String>();
    let clients: Vec<_> = records
        .chunks(100)
        .map(|chunk| {
            let (chunk, base, key, acked) = (chunk.to_vec(), g.base.clone(), key.clone(), acked_tx.clone());
            std::thread::spawn(move || {
                let mut refused = 0;
                for r in &chunk {
                    let a = send("POST", &format!("{base}/v1/records"), Some(&key), Some(r));
                    match a.status {
                        201 | 200 => {
                            acked.send(a.body["record_id"].as_str().expect("record_id").to_owned()).expect("ok")
                        }
                        // Stopping: refused, or the connection closed.
                        0 | 503 => refused += 1,
                        other => panic!("{other}: {}", a.body),
                    }
                    if refused > 3 {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(acked_tx);
    let mut acked = Vec::new();
    while acked.len() < 100 {
        acked.push(acked_rx.recv_timeout(Duration::from_secs(60)).expect("records land"));
    }
    let pid = g.child.id().to_string();
    let stopped = Instant::now();
    let term = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(term.success());
    let exit = g.child.wait().expect("the gateway exits");
    let took = stopped.elapsed();
    assert!(exit.success(), "a clean stop exits 0, not {exit:?}");
    for c in clients {
        c.join().expect("a client");
    }
    acked.extend(acked_rx.try_iter());
    assert!(acked.len() < records.len(), "the stop came mid-stream");
    drop(g);
    let g = Gateway::start(&db.url);
    for id in &acked {
        let (status, body) = get_json(&format!("{}/v1/records/{id}", g.base), Some(&key));
        assert_eq!(status, 200, "{id}: {body}");
    }
    assert!(doubled(&db).is_empty());
    assert_eq!(consistency(&db), ["ok"]);
    eprintln!(
        "stopped on SIGTERM in {} ms: {} acknowledged, all found; {} stored",
        took.as_millis(),
        acked.len(),
        db.count("records")
    );
}

#[test]
fn sigterm_finishes_acknowledged_work_sqlite() {
    stopping_cleanly_loses_nothing(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(pg_tests), ignore = "set BAWABA_TEST_POSTGRES_URL to run against PostgreSQL")]
fn sigterm_finishes_acknowledged_work_postgres() {
    if std::env::var("BAWABA_TEST_POSTGRES_URL").is_ok() {
        stopping_cleanly_loses_nothing(Backend::Postgres);
    }
}

/// Restarts the machine's PostgreSQL (a Debian cluster: `pg_ctlcluster`, as root), waiting for it.
fn restart_postgres() {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster (/etc/postgresql)")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .expect("a PostgreSQL version");
    let status = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "restart"])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster restart failed");
}

/// PostgreSQL restarted under load (`.ci/faults N --restart-postgres`, never in `cargo test`: it
/// disturbs every other test on the server). Two gateways; a client posts records one by one to
/// whichever answers as writer, another reads (a search and a record) from both. PostgreSQL is
/// restarted `BAWABA_FAULT_PG_RESTARTS` times (default 2). Every answer is 2xx, 404 or 503 with
/// `Retry-After` (or no answer while the gateway cannot be reached): never 500; the gateways take
/// writes again once it is back; every acknowledged record is stored, once. Prints the figures.
#[test]
#[ignore = "restarts the machine's PostgreSQL: `bash .ci/faults [kills] --restart-postgres`"]
fn postgres_restarted_under_load() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let restarts: usize = std::env::var("BAWABA_FAULT_PG_RESTARTS").ok().and_then(|k| k.parse().ok()).unwrap_or(2);
    let db = TestDb::new(Backend::Postgres);
    let mut gateways = [Gateway::start(&db.url), Gateway::start(&db.url)];
    let bases: Vec<String> = gateways.iter().map(|g| g.base.clone()).collect();
    let key = agency(&bases[0], "WFP", "submitter");
    let caseworker = agency(&bases[0], "OCHA", "caseworker");
    let records = caseload(17, 2000);
    let done = Arc::new(AtomicBool::new(false));
    // Every status seen, and what was wrong with any answer.
    let seen = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
    let wrong = Arc::new(Mutex::new(Vec::<String>::new()));
    let note = {
        let (seen, wrong) = (seen.clone(), wrong.clone());
        move |what: &str, a: &crate::scale::Answer| {
            *seen.lock().expect("a lock no thread panicked in").entry(a.status).or_default() += 1;
            let fine = match a.status {
                0 | 200 | 201 | 404 => true,
                503 => a.retry_after.is_some() && a.body["error"]["code"] == "unavailable",
                _ => false,
            };
            if !fine {
                wrong.lock().expect("a lock no thread panicked in").push(format!("{what}: {} {}", a.status, a.body));
            }
        }
    };
    let (acked_tx, acked_rx) = std::sync::mpsc::channel::<(Instant, String)>();
    let writer_client = {
        let (records, bases, key, done, note) =
            (records.clone(), bases.clone(), key.clone(), done.clone(), note.clone());
        std::thread::spawn(move || {
            let mut at = 0usize;
            for r in &records {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                let started = Instant::now();
                loop {
                    assert!(started.elapsed() < Duration::from_secs(60), "a record found no writer for a minute");
                    let a = send("POST", &format!("{}/v1/records", bases[at]), Some(&key), Some(r));
                    note("post", &a);
                    if matches!(a.status, 200 | 201) {
                        let id = a.body["record_id"].as_str().expect("record_id").to_owned();
                        let _ = acked_tx.send((Instant::now(), id));
                        break;
                    }
                    at = a.writer.as_deref().and_then(|w| bases.iter().position(|b| b == w)).unwrap_or((at + 1) % 2);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        })
    };
    let reader = {
        let (bases, caseworker, done, note) = (bases.clone(), caseworker.clone(), done.clone(), note.clone());
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !done.load(Ordering::Relaxed) {
                let base = &bases[i % 2];
                let a =
                    send("GET", &format!("{base}/v1/households/search?name=Mohammed%20Ahmad"), Some(&caseworker), None);
                note("search", &a);
                let a = send("GET", &format!("{base}/readyz"), None, None);
                if a.status != 200 {
                    note("readyz", &a);
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let mut acked: Vec<(Instant, String)> = Vec::new();
    let mut back_after = Vec::new();
    for r in 0..restarts {
        while acked.len() < 100 * (r + 1) {
            acked.push(acked_rx.recv_timeout(Duration::from_secs(60)).expect("records land"));
        }
        let began = Instant::now();
        restart_postgres();
        let restarted = began.elapsed();
        // Writes are taken again: the first record acknowledged after PostgreSQL is back.
        let back = Instant::now();
        let next = loop {
            let a = acked_rx.recv_timeout(Duration::from_secs(60)).expect("writes are taken again after a restart");
            let after = a.0 > back;
            acked.push(a);
            if after {
                break acked.last().expect("just pushed").0 - back;
            }
        };
        eprintln!(
            "restart {r}: pg_ctlcluster took {} ms; writes taken again {} ms after it returned",
            restarted.as_millis(),
            next.as_millis()
        );
        back_after.push(next.as_millis());
    }
    while acked.len() < 100 * (restarts + 1) {
        acked.push(acked_rx.recv_timeout(Duration::from_secs(60)).expect("records land"));
    }
    done.store(true, Ordering::Relaxed);
    writer_client.join().expect("the writing client");
    reader.join().expect("the reading client");
    acked.extend(acked_rx.try_iter());
    let writer = gateways.iter().position(|g| g.role() == "writer").expect("a writer");
    let found = acked
        .iter()
        .filter(|(_, id)| get_json(&format!("{}/v1/records/{id}", bases[writer]), Some(&key)).0 == 200)
        .count();
    let doubled = doubled(&db);
    let consistent = consistency(&db);
    let wrong = wrong.lock().expect("a lock no thread panicked in").clone();
    eprintln!(
        "faults postgres-restart: restarts {restarts}, acknowledged {}, found {found}, doubled {}, stored {}, \
         writes back after ms {back_after:?}, answers {:?}, wrong {}, consistency {consistent:?}",
        acked.len(),
        doubled.len(),
        db.count("records"),
        seen.lock().expect("a lock no thread panicked in"),
        wrong.len(),
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Neither gateway stopped: each reconnected, and one took writes again.
    for g in &mut gateways {
        assert!(g.child.try_wait().expect("wait").is_none(), "a gateway exited on the restart");
    }
    assert_eq!(found, acked.len(), "every acknowledged record is found");
    assert!(doubled.is_empty(), "{doubled:?}");
    assert_eq!(consistent, ["ok"]);
}

/// A TCP relay between gateways and PostgreSQL that can cut every connection through it and
/// refuse new ones, and let them through again: PostgreSQL gone for one gateway, without
/// disturbing anything else on the server.
struct Relay {
    addr: String,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    live: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn start(to: &str) -> Relay {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let open = Arc::new(AtomicBool::new(true));
        let live = Arc::new(Mutex::new(Vec::<std::net::TcpStream>::new()));
        let (o, l, to) = (open.clone(), live.clone(), to.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !o.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let Ok(server) = std::net::TcpStream::connect(&to) else { continue };
                let mut kept = l.lock().expect("a lock no thread panicked in");
                for s in [&client, &server] {
                    kept.push(s.try_clone().expect("clone"));
                }
                for (mut from, mut into) in
                    [(client.try_clone().expect("clone"), server.try_clone().expect("clone")), (server, client)]
                {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut into);
                        let _ = into.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Relay { addr, open, live }
    }

    /// Cuts every connection and refuses new ones (`false`), or lets them through again.
    fn set_open(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
        if !open {
            for s in self.live.lock().expect("a lock no thread panicked in").drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

/// PostgreSQL cut off from a gateway (every connection broken, new ones refused, through a
/// relay): reads and writes are answered 503 `unavailable` with `Retry-After` within a few
/// seconds, not after the pool's 10 s wait for each connection a request needs (a search needs
/// two: the key's re-check and the search); once PostgreSQL is back, writes are taken again and
/// what was acknowledged before is found.
#[test]
#[cfg_attr(not(pg_tests), ignore = "set BAWABA_TEST_POSTGRES_URL to run against PostgreSQL")]
fn postgres_cut_off_answers_503_promptly() {
    if std::env::var("BAWABA_TEST_POSTGRES_URL").is_err() {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    // The server's host:port, between the URL's '@' and the next '/'.
    let authority = db.url.split('@').nth(1).and_then(|r| r.split('/').next()).expect("host:port").to_owned();
    let relay = Relay::start(&authority);
    let url = db.url.replacen(&authority, &relay.addr, 1);
    let g = Gateway::start(&url);
    let key = agency(&g.base, "WFP", "submitter");
    let caseworker = agency(&g.base, "OCHA", "caseworker");
    let records = caseload(23, 40);
    let first = send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(&records[0]));
    assert_eq!(first.status, 201, "{}", first.body);
    let name = records[0]["members"][0]["name"].as_str().expect("a name").replace(' ', "%20");
    let search = format!("{}/v1/households/search?name={name}", g.base);
    assert_eq!(send("GET", &search, Some(&caseworker), None).status, 200);

    relay.set_open(false);
    // Past the keys' re-check (1 s), so that authenticating needs the database too.
    std::thread::sleep(Duration::from_millis(1_200));
    let mut slowest = Duration::ZERO;
    for (i, r) in records[1..4].iter().enumerate() {
        for (what, a, took) in [
            {
                let t = Instant::now();
                ("search", send("GET", &search, Some(&caseworker), None), t.elapsed())
            },
            {
                let t = Instant::now();
                ("post", send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(r)), t.elapsed())
            },
        ] {
            assert_eq!(a.status, 503, "{what} {i} after {took:?}: {}", a.body);
            assert_eq!(a.body["error"]["code"], "unavailable", "{what}: {}", a.body);
            assert!(a.retry_after.is_some(), "{what}: 503 without Retry-After");
            slowest = slowest.max(took);
        }
    }
    assert!(slowest < Duration::from_secs(8), "an answer took {slowest:?} while PostgreSQL was gone");

    relay.set_open(true);
    let back = Instant::now();
    let stored = loop {
        let a = send("POST", &format!("{}/v1/records", g.base), Some(&key), Some(&records[10]));
        if matches!(a.status, 200 | 201) {
            break a;
        }
        assert_eq!(a.status, 503, "{}", a.body);
        assert!(back.elapsed() < Duration::from_secs(60), "writes not taken again within a minute: {}", a.body);
        std::thread::sleep(Duration::from_millis(200));
    };
    let back_in = back.elapsed();
    for a in [&first, &stored] {
        let id = a.body["record_id"].as_str().expect("record_id");
        let (status, body) = get_json(&format!("{}/v1/records/{id}", g.base), Some(&key));
        assert_eq!(status, 200, "{id}: {body}");
    }
    assert!(doubled(&db).is_empty());
    eprintln!(
        "postgres cut off: slowest answer meanwhile {} ms (all 503 with Retry-After); writes taken again {} ms after it \
         was back",
        slowest.as_millis(),
        back_in.as_millis()
    );
}
