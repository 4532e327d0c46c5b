//! Issue 10's write path: a transaction writes its items' rows with one statement per table,
//! and a transaction that fails for one of its items is rolled back (the index with it) and
//! its items taken again one per transaction, so one bad item cannot sink the others.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp, record};

both_backends!(
    one_bad_item_cannot_sink_its_transaction,
    submissions_arriving_while_a_group_is_written_join_it_in_order,
    a_large_batch_reads_back_as_a_record_posted_alone,
    every_column_of_new_rows_reads_back_as_written,
    replays_and_new_records_of_several_agencies_in_one_group
);

fn same_family(i: usize) -> Value {
    let mut r = record(&format!("w-{i}"));
    r["assistance"]["amount"] = json!(100 + i);
    r
}

/// A trigger refusing one external id: an item the database refuses after the gateway took it
/// (what PostgreSQL does with a value it cannot store).
fn poison(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let sql = if app.db.is_postgres() {
        "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
           IF NEW.external_id = 'w-3' THEN RAISE EXCEPTION 'poisoned record'; END IF; RETURN NEW; \
         END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER poison BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION poison();"
    } else {
        "CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.external_id = 'w-3' \
         BEGIN SELECT RAISE(ABORT, 'poisoned record'); END;"
    };
    app.db.connect().batch_execute(sql).expect("trigger");
}

fn one_bad_item_cannot_sink_its_transaction(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    poison(&app);
    let batch: Vec<Value> = (0..6).map(same_family).collect();
    let (s, out) = app.post("/v1/records/batch", &key, &json!({"records": batch}));
    assert_eq!(s, 200, "{out}");
    let r = out["results"].as_array().expect("results");
    assert_eq!(r.len(), 6);
    assert!(r[3]["record_id"].is_null() && !r[3]["error"].is_null(), "the poisoned item is refused: {}", r[3]);
    for i in [0, 1, 2, 4, 5] {
        assert!(r[i]["error"].is_null() && r[i]["record_id"].is_string(), "item {i} is stored: {}", r[i]);
        assert_eq!(r[i]["household_id"], r[0]["household_id"], "one household");
    }
    // The others are matched as if the refused one had never come: nothing of it is counted.
    assert_eq!(r[4]["flags"][0]["matched_records"], json!(3), "{}", r[4]);
    assert_eq!(r[4]["flags"][0]["matched_record_id"], r[2]["record_id"], "{}", r[4]);
    assert_eq!(r[5]["flags"][0]["matched_records"], json!(4), "{}", r[5]);
    assert_eq!(r[5]["flags"][0]["matched_record_id"], r[4]["record_id"], "{}", r[5]);
    assert_eq!(app.db.count("records"), 5);
    assert_eq!(app.db.count("persons"), 10);
    assert_eq!(app.db.count("households"), 1);
    assert_eq!(app.db.count("flags"), 4);
    assert_eq!(app.db.count("match_evidence"), 4);

    // Sent again: the stored ones replay their first answers, the poisoned one is still refused,
    // and nothing is stored twice.
    let (s, again) = app.post("/v1/records/batch", &key, &json!({"records": batch}));
    assert_eq!(s, 200, "{again}");
    let a = again["results"].as_array().expect("results");
    for i in [0, 1, 2, 4, 5] {
        assert_eq!(a[i]["replayed"], true, "{}", a[i]);
        assert_eq!(a[i]["record_id"], r[i]["record_id"]);
        assert_eq!(a[i]["flags"], r[i]["flags"], "a replay answers as the first time");
    }
    assert!(a[3]["record_id"].is_null() && !a[3]["error"].is_null(), "{}", a[3]);
    assert_eq!(app.db.count("records"), 5);

    // A single post after all that is stored as usual, matched with the five.
    let (s, one) = app.post("/v1/records", &key, &same_family(6));
    assert_eq!(s, 201, "{one}");
    assert_eq!(one["flags"][0]["matched_records"], json!(5), "{one}");
}

/// A record of family `f` (of 20, each plainly its own: its own name and birth year).
fn family_record(f: usize, external_id: &str) -> Value {
    const FIRST: [&str; 2] = ["خالد", "يوسف"];
    const FAMILY: [&str; 10] =
        ["العمري", "النجار", "الشاعر", "هديب", "الجعبري", "التميمي", "القواسمي", "الرجوب", "الحروب", "العمايرة"];
    let mut r = record(external_id);
    r["members"] = json!([{"role": "head", "name": format!("{} ابراهيم سالم {}", FIRST[f / 10], FAMILY[f % 10]),
                           "date_of_birth": format!("{}-02-03", 1950 + f), "sex": "M"}]);
    r
}

/// Submissions that arrive while the writer writes a group join that group (matched while the
/// transaction before them commits) and are answered once their own items are committed, each
/// seeing every record taken before it: posts of the same twenty families from eight clients
/// and three agencies at once, beside a batch, end in exactly twenty households, each family's
/// records in one.
fn submissions_arriving_while_a_group_is_written_join_it_in_order(b: Backend) {
    let app = TestApp::start(b);
    let keys: Vec<String> = ["WFP", "UNRWA", "MOSD"].iter().map(|a| app.agency(a, "submitter")).collect();
    let answers = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..8 {
            let (app, keys, answers) = (&app, &keys, &answers);
            s.spawn(move || {
                for p in 0..15 {
                    let f = (t * 3 + p) % 20;
                    let (status, out) =
                        app.post("/v1/records", &keys[(t + p) % 3], &family_record(f, &format!("t{t}-{p}")));
                    assert_eq!(status, 201, "{out}");
                    answers.lock().expect("lock").push((f, out["household_id"].clone()));
                }
            });
        }
        let (app, keys, answers) = (&app, &keys, &answers);
        s.spawn(move || {
            let batch: Vec<Value> = (0..40).map(|k| family_record(k % 20, &format!("b-{k}"))).collect();
            let (status, out) = app.post("/v1/records/batch", &keys[0], &json!({"records": batch}));
            assert_eq!(status, 200, "{out}");
            for (k, r) in out["results"].as_array().expect("results").iter().enumerate() {
                assert!(r["record_id"].is_string(), "{r}");
                answers.lock().expect("lock").push((k % 20, r["household_id"].clone()));
            }
        });
    });
    let answers = answers.into_inner().expect("lock");
    assert_eq!(answers.len(), 160);
    for f in 0..20 {
        let mut of: Vec<&Value> = answers.iter().filter(|(g, _)| *g == f).map(|(_, h)| h).collect();
        of.dedup();
        assert_eq!(of.len(), 1, "family {f}'s records are in one household: {of:?}");
    }
    assert_eq!(app.db.count("records"), 160);
    assert_eq!(app.db.count("households"), 20);
}

/// A transaction looks its items' external ids up for every agency at once (one statement on
/// PostgreSQL): posted together, one agency's records posted again are replays of the first
/// answers while another agency's records under the same external ids are new records of their
/// own, and a third agency's are new too.
fn replays_and_new_records_of_several_agencies_in_one_group(b: Backend) {
    let app = TestApp::start(b);
    let keys: Vec<String> = ["WFP", "UNRWA", "MOSD"].iter().map(|a| app.agency(a, "submitter")).collect();
    let batch: Vec<Value> = (0..12).map(|f| family_record(f, &format!("x-{f}"))).collect();
    let (status, first) = app.post("/v1/records/batch", &keys[0], &json!({"records": batch}));
    assert_eq!(status, 200, "{first}");
    let first: Vec<Value> =
        first["results"].as_array().expect("results").iter().map(|r| r["record_id"].clone()).collect();
    let answers = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..6 {
            let (app, keys, answers) = (&app, &keys, &answers);
            s.spawn(move || {
                for f in (t..12).step_by(6) {
                    for (k, key) in keys.iter().enumerate() {
                        let (status, out) = app.post("/v1/records", key, &family_record(f, &format!("x-{f}")));
                        answers.lock().expect("lock").push((k, f, status, out));
                    }
                }
            });
        }
    });
    let answers = answers.into_inner().expect("lock");
    assert_eq!(answers.len(), 36);
    for (k, f, status, out) in &answers {
        if *k == 0 {
            assert_eq!(*status, 200, "WFP's x-{f} again is a replay: {out}");
            assert_eq!(out["record_id"], first[*f], "the first answer again: {out}");
        } else {
            assert_eq!(*status, 201, "agency {k}'s x-{f} is new: {out}");
            assert!(!first.contains(&out["record_id"]), "a record of its own: {out}");
        }
    }
    assert_eq!(app.db.count("records"), 36);
}

/// SQLite's write-ahead log stays bounded under writes that never pause (issue 10): a passive
/// checkpoint beside such a writer never empties the log (at a million people it grew to 7 GB in
/// two minutes, more than the database), so the checkpoint thread restarts it in a turn at the
/// write lock once it is past its bound (`service::wal`). Here the bound is 1 MiB; two clients
/// post batches back to back for about ten seconds while the `-wal` file's size is watched: the
/// log starts again many times, in the second half of the records as in the first, and stays
/// smaller than the database it logs (a log never started again holds every page written, more
/// than the database). It is past its bound by what the writer appends while the thread copies
/// (it looks four times a second, the writer appends tens of MB a second, and copies take
/// longer as the database grows): about 49 MiB in the first half and 62 MiB in the second on
/// one day, 17.9 and 29.7 MiB on a slow afternoon, when this test's old check (no more than
/// half as large again in the second half) failed on a log that was restarting as it should.
#[test]
fn the_write_ahead_log_stays_bounded_under_sustained_writes() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let app = TestApp::start_with(crate::support::TestDb::new(Backend::Sqlite), |s| s.sqlite_wal_mb = 1);
    let key = app.agency("WFP", "submitter");
    let caseload =
        bawaba_synth::generate(&bawaba_synth::Config { households: 12_000, ..bawaba_synth::Config::small(41) });
    let batches: Vec<Vec<Value>> =
        caseload.records.chunks(250).map(|c| c.iter().map(|r| r.to_api_json()).collect()).collect();
    let wal = std::path::PathBuf::from(format!("{}-wal", app.db.url));
    let (done, next, stored) = (AtomicBool::new(false), AtomicUsize::new(0), AtomicUsize::new(0));
    let metrics = || app.get("/metrics", crate::support::MASTER).1.as_str().unwrap_or_default().to_owned();
    // How many checkpoints of a kind the gateway had run when `metrics` were read.
    let count = |metrics: &str, kind: &str| -> u64 {
        let prefix = format!("bawaba_wal_checkpoint_duration_seconds_count{{kind=\"{kind}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok()).unwrap_or(0)
    };
    // The largest log while the first half of the batches is posted, and while the second is;
    // and how many times it had started again when the second half began.
    let largest = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let at_half = std::sync::OnceLock::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let bytes = std::fs::metadata(&wal).map_or(0, |m| m.len() as usize);
                let half = usize::from(next.load(Ordering::Relaxed) > batches.len() / 2);
                largest[half].fetch_max(bytes, Ordering::Relaxed);
                if half == 1 && at_half.get().is_none() {
                    let _ = at_half.set(count(&metrics(), "restart"));
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let posters: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    while let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (status, out) = app.post("/v1/records/batch", &key, &json!({"records": batch}));
                        assert_eq!(status, 200, "{out}");
                        let results = out["results"].as_array().expect("results");
                        stored.fetch_add(
                            results.iter().filter(|r| r["record_id"].is_string()).count(),
                            Ordering::Relaxed,
                        );
                    }
                })
            })
            .collect();
        for p in posters {
            p.join().expect("poster");
        }
        done.store(true, Ordering::Relaxed);
    });
    let at_end = metrics();
    let restarts = count(&at_end, "restart");
    // Each turn comes after the database file was synced beside the writer (`service::wal`);
    // the thread may be between the two as the metrics are read.
    let syncs = count(&at_end, "sync");
    assert!(syncs == restarts || syncs == restarts + 1, "{syncs} syncs beside the writer for {restarts} turns");
    let [first, second] = [&largest[0], &largest[1]].map(|l| l.load(Ordering::Relaxed));
    let largest = first.max(second);
    let database = std::fs::metadata(&app.db.url).map_or(0, |m| m.len() as usize);
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    eprintln!(
        "{} records; the log restarted {restarts} times, its file at most {:.1} MiB in the first half and {:.1} MiB in \
         the second, beside a database of {:.1} MiB",
        caseload.records.len(),
        mib(first),
        mib(second),
        mib(database)
    );
    assert!(restarts >= 5, "the log was restarted {restarts} times");
    // Bounded: started again while the second half is written as well as while the first was
    // (a log that stops starting again holds every page written from then on: at a million
    // people, 7 GB in two minutes), and smaller than the database it logs. How far past its
    // bound it gets is what the writer appends while a copy runs, which grows with the
    // database and the writer's speed and swings with the machine's (17.9 then 29.7 MiB on a
    // slow afternoon, 49 then 62 MiB on another day): not a figure to hold it to.
    let first_half = at_half.get().copied().unwrap_or(restarts);
    assert!(
        first_half >= 2 && restarts - first_half >= 2,
        "the log started again {first_half} times in the first half and {} in the second",
        restarts - first_half
    );
    assert!(
        largest < database,
        "the write-ahead log grew to {:.1} MiB, then {:.1} MiB, beside a database of {:.1} MiB",
        mib(first),
        mib(second),
        mib(database)
    );
    assert_eq!(app.db.count("records"), stored.load(Ordering::Relaxed) as i64, "every record answered stored is");
}

/// Household `i` of a set of plainly distinct ones, with an ID, a phone and a full date.
fn distinct(i: usize) -> Value {
    // A name of its own: a syllable for each of `i`'s digits (names hold no digits).
    const SYL: [&str; 10] = ["ba", "ka", "da", "ma", "na", "ra", "sa", "ta", "za", "la"];
    let word = |i: usize, cap: &str| format!("{cap}{}{}{}", SYL[i / 100 % 10], SYL[i / 10 % 10], SYL[i % 10]);
    let mut r = record(&format!("d-{i}"));
    r["assistance"]["amount"] = json!(100.25 + i as f64);
    // Every name part its own word, so no two are a typo apart on all parts.
    let (first, father, family) = (word(i, "Ha"), word(i * 7 + 301, "Sa"), word(i * 3 + 611, "Qa"));
    r["members"] = json!([
        {"role": "head", "name": format!("{first} {father} {family}"), "national_id": format!("{}", 500_000_000 + i * 13),
         "date_of_birth": format!("{}-0{}-1{}", 1940 + i % 60, 1 + i % 9, i % 10), "sex": "M",
         "phone": format!("+97059{:07}", 1_000_000 + i)}
    ]);
    r
}

/// A transaction's rows go in one statement a table, on PostgreSQL a binary `COPY` from 64 rows
/// on (`store::queries::insert_rows`): a batch of 100 households reads back as written, field by
/// field, as the record posted alone before it does, and sent again is all replays (its stored
/// body hashes are the ones computed).
fn a_large_batch_reads_back_as_a_record_posted_alone(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let (s, alone) = app.post("/v1/records", &key, &distinct(0));
    assert_eq!(s, 201, "{alone}");
    let batch: Vec<Value> = (1..=100).map(distinct).collect();
    let (s, out) = app.post("/v1/records/batch", &key, &json!({"records": batch}));
    assert_eq!(s, 200, "{out}");
    let results = out["results"].as_array().expect("results");
    let mut ids = vec![alone["record_id"].clone()];
    ids.extend(results.iter().map(|r| r["record_id"].clone()));
    assert!(ids.iter().all(Value::is_string), "every item stored: {out}");
    assert!(results.iter().all(|r| r["decision"] == "unique"), "each its own household: {out}");
    assert_eq!((app.db.count("records"), app.db.count("persons"), app.db.count("households")), (101, 101, 101));
    for i in [0, 1, 64, 100] {
        let (s, got) = app.get(&format!("/v1/records/{}", ids[i].as_str().expect("id")), &key);
        assert_eq!(s, 200, "{got}");
        let want = distinct(i);
        assert_eq!(got["external_id"], want["external_id"], "{got}");
        assert_eq!(got["assistance"]["amount"], want["assistance"]["amount"], "{got}");
        assert_eq!(got["assistance"]["period_start"], "2026-01-01", "{got}");
        for (m, w) in got["members"].as_array().expect("members").iter().zip(want["members"].as_array().expect("m")) {
            assert_eq!(m["name"], w["name"], "{got}");
            assert_eq!(m["date_of_birth"], w["date_of_birth"], "{got}");
            assert_eq!(m["sex"], w["sex"], "{got}");
        }
        assert_eq!(got["members"][0]["national_id"], want["members"][0]["national_id"], "{got}");
        assert_eq!(got["members"][0]["phone"], want["members"][0]["phone"], "{got}");
    }
    let (s, again) =
        app.post("/v1/records/batch", &key, &json!({"records": (1..=100).map(distinct).collect::<Vec<_>>()}));
    assert_eq!(s, 200, "{again}");
    let again = again["results"].as_array().expect("results");
    assert!(again.iter().zip(results).all(|(a, r)| a["replayed"] == true && a["record_id"] == r["record_id"]));
    assert_eq!(app.db.count("records"), 101);
}

/// On PostgreSQL the gateway gathers the planner's statistics itself (`service::stats`):
/// without them (autovacuum off, as here, or behind a bulk intake) a search at a million people
/// scanned the whole persons table. A batch of 100 households is past autovacuum's threshold
/// for the tables it grew, so they are analysed within a few looks of the thread, by the
/// gateway (`last_analyze`, not `last_autoanalyze`).
#[test]
#[cfg_attr(not(pg_tests), ignore = "set BAWABA_TEST_POSTGRES_URL to run against PostgreSQL")]
fn the_planner_statistics_follow_a_large_batch_on_postgres() {
    let app = TestApp::start(Backend::Postgres);
    let key = app.agency("WFP", "submitter");
    let analysed = |table: &str| {
        app.db.count(&format!(
            "pg_stat_user_tables WHERE schemaname = current_schema() AND relname = '{table}' AND last_analyze IS NOT NULL"
        ))
    };
    let (s, out) =
        app.post("/v1/records/batch", &key, &json!({"records": (1..=100).map(distinct).collect::<Vec<_>>()}));
    assert_eq!(s, 200, "{out}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (analysed("persons"), analysed("records")) != (1, 1) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!((analysed("persons"), analysed("records")), (1, 1), "the tables the batch grew are analysed");
    let (_, metrics) = app.get("/metrics", crate::support::MASTER);
    let analyses: u64 = metrics
        .as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("bawaba_pg_tables_analyzed_total ")?.parse().ok())
        .unwrap_or(0);
    assert!(analyses >= 2, "counted: {analyses}");
}

/// New records' rows read back column for column as intake wrote them, with every nullable
/// column both empty and filled, a household merged into another of the same write and a flag
/// naming a record of the same write: a few rows (on PostgreSQL one statement of every table's
/// rows unnested from arrays, `store::unnest`) and many (`COPY` per table there; statements of
/// fixed sizes on SQLite).
fn every_column_of_new_rows_reads_back_as_written(b: Backend) {
    use bawaba::store::models::*;
    use bawaba::store::queries::{self, NewRows};
    use bawaba::store::schema::*;
    use diesel::prelude::*;

    let app = TestApp::start(b);
    app.agency("WFP", "submitter");
    let mut c = app.db.connect();
    let agency = queries::agency_by_code(&mut c, "WFP").expect("read").expect("agency").id;
    for n in [3usize, 70] {
        let id = |what: &str, i: usize| format!("{what}-{n}-{i:03}");
        let full = |i: usize| i.is_multiple_of(2);
        let some = |i: usize, v: String| full(i).then_some(v);
        let mut rows = NewRows::default();
        for i in 0..n {
            rows.households.push(HouseholdRow {
                id: id("h", i),
                seq: (n * 1000 + i) as i64,
                merged_into: (i > 0).then(|| id("h", 0)).filter(|_| full(i)),
                created_at: format!("2026-12-01T10:00:{:02}Z", i % 60),
            });
            rows.records.push(RecordRow {
                id: id("r", i),
                agency_id: agency.clone(),
                external_id: id("x", i),
                household_id: id("h", i),
                body_hash: format!("hash {i}"),
                answer: format!("{{\"answer\": {i}, \"name\": \"محمد احمد الشاعر\"}}"),
                assistance_type: "cash".into(),
                program: some(i, "winter 'aid'".into()),
                amount: full(i).then_some(12.5 + i as f64),
                currency: some(i, "ILS".into()),
                period_start: "2026-01-01".into(),
                period_end: "2026-03-31".into(),
                governorate: some(i, "الخليل".into()),
                locality: some(i, "يطا".into()),
                created_at: format!("2026-12-01T10:01:{:02}Z", i % 60),
                governorate_code: some(i, "PS-HBN".into()),
                locality_code: some(i, "PS-HBN-YATTA".into()),
            });
            rows.persons.push(PersonRow {
                id: (n * 1000 + i) as i64,
                record_id: id("r", i),
                household_id: id("h", i),
                position: i as i32,
                role: "head".into(),
                name: format!("فاطمة الزهراء {i}"),
                national_id: some(i, format!("sealed id {i}")),
                date_of_birth: some(i, "1980-05".into()),
                sex: some(i, "F".into()),
                phone: some(i, format!("sealed phone {i}")),
                national_id_hash: some(i, format!("id hash {i}")),
                phone_hash: some(i, format!("phone hash {i}")),
                groups: some(i, "disability,elderly".into()),
            });
            rows.groups.push(RecordGroupRow { record_id: id("r", i), grp: "elderly".into() });
            rows.evidence.push(EvidenceRow { id: id("e", i), body: format!("packed evidence {i}") });
            rows.flags.push(FlagRow {
                id: id("f", i),
                record_id: id("r", i),
                household_id: id("h", i),
                kind: "overlap".into(),
                band: "certain".into(),
                score: 0.25 + i as f64,
                matched_household_id: id("h", 0),
                matched_record_id: some(i, id("r", 0)),
                matched_agency_id: some(i, agency.clone()),
                overlap_type: some(i, "cash".into()),
                overlap_from: some(i, "2026-01-01".into()),
                overlap_to: some(i, "2026-02-28".into()),
                evidence: if full(i) { String::new() } else { format!("[{i}]") },
                status: "open".into(),
                created_at: format!("2026-12-01T10:02:{:02}Z", i % 60),
                matched_records: full(i).then_some(i as i32),
                evidence_id: some(i, id("e", i)),
            });
            rows.audits.push(AuditRow {
                id: id("a", i),
                at: format!("2026-12-01T10:03:{:02}Z", i % 60),
                agency_id: some(i, agency.clone()),
                key_id: some(i, format!("key {i}")),
                role: "submitter".into(),
                action: "record.create".into(),
                target: some(i, id("r", i)),
                detail: some(i, "{\"via\": \"test\"}".into()),
                user_id: some(i, format!("user {i}")),
                address: some(i, "127.0.0.1".into()),
            });
        }
        queries::insert_new_rows(&mut c, &rows).expect("insert the rows");
        let like = |what: &str| format!("{what}-{n}-%");
        // A table's rows of this round (their `key` starts with `prefix`), in `order`.
        macro_rules! same {
            ($table:ident, $row:ty, $written:expr, $key:ident, $order:ident, $prefix:literal) => {{
                let read: Vec<$row> = $table::table
                    .filter($table::$key.like(like($prefix)))
                    .order($table::$order)
                    .select(<$row>::as_select())
                    .load(&mut c)
                    .expect("read back");
                assert_eq!(format!("{read:?}"), format!("{:?}", $written), "{} ({n} rows)", stringify!($table));
            }};
        }
        same!(households, HouseholdRow, rows.households, id, id, "h");
        same!(records, RecordRow, rows.records, id, id, "r");
        same!(persons, PersonRow, rows.persons, record_id, id, "r");
        same!(record_groups, RecordGroupRow, rows.groups, record_id, record_id, "r");
        same!(match_evidence, EvidenceRow, rows.evidence, id, id, "e");
        same!(flags, FlagRow, rows.flags, id, id, "f");
        same!(audit_events, AuditRow, rows.audits, id, id, "a");
    }
}
