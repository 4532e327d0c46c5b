//! Issue 16, personal data at rest: after records with national IDs and phones are posted,
//! checked, searched for and reviewed, no national ID or phone is in the database in clear (the
//! SQLite file and its write-ahead log read as bytes; every text column of every PostgreSQL
//! table read through SQL), while a caseworker still reads them through the API; exact look-ups
//! go through keyed hashes; rows stored in clear before are sealed at start, once; the SQLite
//! key file is its owner's only; PostgreSQL without a key does not start.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use bawaba::service::vault::{DataKey, Vault};
use bawaba::service::{Services, StartError};
use bawaba::store::queries;

use crate::both_backends;
use crate::support::{Backend, DATA_KEY, TestApp, TestDb};

both_backends!(no_national_id_or_phone_in_clear_at_rest, rows_stored_in_clear_are_sealed_at_start);

/// The IDs and phones of the family below, as digits any spelling of them would contain.
const SECRETS: &[&str] = &["401234563", "852741960", "599123456", "597000111"];

fn family(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": "cash", "amount": 500.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "members": [
            {"role": "head", "name": "محمد احمد محمود الشاعر", "national_id": "401234563",
             "date_of_birth": "1980-05-01", "sex": "M", "phone": "+970599123456"},
            {"role": "spouse", "name": "فاطمة علي حسن الشاعر", "national_id": "852741960",
             "date_of_birth": "1984-02-11", "sex": "F", "phone": "0597000111"}
        ]
    })
}

/// The same head under another agency, with the spouse's phone written another way.
fn other_agency(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": "cash", "period_start": "2026-02-01", "period_end": "2026-02-28"},
        "members": [
            {"role": "head", "name": "محمد أحمد محمود الشاعر", "national_id": "401-234-563", "sex": "M",
             "phone": "00970 599 123 456"},
            {"role": "spouse", "name": "فاطمه علي الشاعر", "phone": "+970 597 000 111"}
        ]
    })
}

/// The data key the test gateway uses: the PostgreSQL tests' key, or the SQLite key file.
pub(crate) fn vault_of(db: &TestDb) -> Vault {
    let text = if db.is_postgres() {
        DATA_KEY.to_owned()
    } else {
        std::fs::read_to_string(DataKey::file_of(&db.url)).expect("the key file beside the database")
    };
    Vault::new(&DataKey::parse(&text).expect("a data key"))
}

/// Everything the database holds as text: the bytes of the SQLite file and its write-ahead log,
/// or every text and JSON column of every table of the PostgreSQL schema.
fn stored_text(db: &TestDb) -> String {
    if !db.is_postgres() {
        let mut bytes = std::fs::read(&db.url).expect("the database file");
        let wal = format!("{}-wal", db.url);
        if let Ok(more) = std::fs::read(&wal) {
            bytes.extend(more);
        }
        assert!(bytes.len() > 8192, "the file was read");
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Values {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    let mut c = db.connect();
    let columns = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type IN ('text', 'json', 'jsonb', 'character varying')",
    )
    .load::<Column>(&mut c)
    .expect("the columns");
    assert!(columns.iter().any(|c| c.table_name == "persons" && c.column_name == "national_id"), "columns read");
    let mut out = String::new();
    for col in &columns {
        let v = diesel::sql_query(format!(
            "SELECT string_agg(\"{}\"::text, ' ') AS v FROM \"{}\"",
            col.column_name, col.table_name
        ))
        .get_result::<Values>(&mut c)
        .expect("a column's values");
        out.push_str(&v.v.unwrap_or_default());
        out.push('\n');
    }
    out
}

fn assert_nothing_in_clear(db: &TestDb, when: &str) {
    let text = stored_text(db);
    for s in SECRETS {
        assert!(!text.contains(s), "{when}: `{s}` is stored in clear");
    }
}

/// What a caseworker reads back: the values, through the API.
fn assert_readable(app: &TestApp, cw: &str, household: &str, record: &str) {
    let (s, found) = app.get("/v1/households/search?national_id=401234563", cw);
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["candidates"][0]["household_id"], household, "{found}");
    let (s, found) = app.get("/v1/households/search?phone=0599123456", cw);
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["candidates"][0]["household_id"], household, "{found}");
    let (s, view) = app.get(&format!("/v1/households/{household}"), cw);
    assert_eq!(s, 200, "{view}");
    let text = view.to_string();
    for s in SECRETS {
        assert!(text.contains(s), "the household view shows `{s}` to a caseworker: {text}");
    }
    let (s, rec) = app.get(&format!("/v1/records/{record}"), cw);
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["members"][0]["national_id"], "401234563", "{rec}");
    assert_eq!(rec["members"][1]["phone"], "0597000111", "{rec}");
}

fn no_national_id_or_phone_in_clear_at_rest(b: Backend) {
    let app = TestApp::start(b);
    let unrwa = app.agency("UNRWA", "submitter");
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &unrwa, &family("UNRWA-1"));
    assert_eq!(s, 201, "{first}");
    let household = first["household_id"].as_str().expect("household").to_owned();
    let record = first["record_id"].as_str().expect("record").to_owned();
    let (s, second) = app.post("/v1/records", &wfp, &other_agency("WFP-1"));
    assert_eq!(s, 201, "{second}");
    assert!(!second["flags"].as_array().expect("flags").is_empty(), "the overlap is flagged: {second}");
    // A replay answers from the stored answer and the stored evidence.
    let (s, replay) = app.post("/v1/records", &wfp, &other_agency("WFP-1"));
    assert_eq!(s, 200, "{replay}");
    assert_eq!(replay["flags"], second["flags"], "a replay gives the first answer");
    let (s, checked) = app.post("/v1/records/check", &cw, &other_agency("CW-1"));
    assert_eq!(s, 200, "{checked}");
    assert!(checked.to_string().contains("401234563"), "a caseworker's check shows the values: {checked}");
    let (s, _) = app.get("/v1/households/search?national_id=852741960", &unrwa);
    assert_eq!(s, 200);
    let (s, _) = app.get("/v1/households/search?phone=%2B970597000111&name=x", &cw);
    assert_eq!(s, 200);
    // A flag reviewed with a note that names an ID.
    let (s, flags) = app.get("/v1/flags?status=open", &cw);
    assert_eq!(s, 200, "{flags}");
    let flag = flags["flags"][0]["flag_id"].as_str().expect("an open flag").to_owned();
    assert!(flags.to_string().contains("599123456"), "the flag's evidence shows the values to a caseworker: {flags}");
    let (s, reviewed) = app.post(
        &format!("/v1/flags/{flag}/review"),
        &cw,
        &json!({"decision": "confirm", "note": "same ID 401234563, phone 0599123456"}),
    );
    assert_eq!(s, 200, "{reviewed}");

    assert_readable(&app, &cw, &household, &record);
    assert_nothing_in_clear(&app.db, "while serving");

    // Exact look-ups in SQL go through the keyed hashes, in any spelling of the value.
    let vault = vault_of(&app.db);
    let mut c = app.db.connect();
    let by_id = |c: &mut bawaba::store::DbConn, hash: String| -> Vec<String> {
        use bawaba::store::schema::persons;
        use diesel::prelude::*;
        let all = [household.clone()];
        let mut found: Vec<String> = queries::persons_with_national_id_hash(c, &all, &hash)
            .expect("look-up by ID")
            .into_iter()
            .map(|p| p.household_id)
            .collect();
        found.dedup();
        // And in the whole table (no index: a test may scan).
        let anywhere: Vec<String> = persons::table
            .select(persons::household_id)
            .distinct()
            .filter(persons::national_id_hash.eq(hash))
            .load(c)
            .expect("look-up by ID");
        assert_eq!(found, anywhere);
        found
    };
    assert_eq!(
        by_id(&mut c, vault.national_id_hash("401 234 563").expect("hash")),
        std::slice::from_ref(&household),
        "both records' head, one household"
    );
    let by_phone: Vec<String> = {
        use bawaba::store::schema::persons;
        use diesel::prelude::*;
        let hash = vault.phone_hash("+970597000111").expect("hash");
        persons::table.select(persons::household_id).distinct().filter(persons::phone_hash.eq(hash)).load(&mut c)
    }
    .expect("look-up by phone");
    assert_eq!(by_phone, std::slice::from_ref(&household));
    let other = Vault::new(&DataKey::generate());
    assert!(by_id(&mut c, other.national_id_hash("401234563").expect("hash")).is_empty(), "the hash is keyed");
    drop(c);

    // After a restart the index is rebuilt from the sealed rows: a near ID still matches.
    let db = app.stop();
    let app = TestApp::start_on(db);
    let (s, near) = app.get("/v1/households/search?national_id=401234536&name=محمد احمد محمود الشاعر", &cw);
    assert_eq!(s, 200, "{near}");
    assert_eq!(near["candidates"][0]["household_id"], household, "a near ID still matches: {near}");
    assert_readable(&app, &cw, &household, &record);
    assert_nothing_in_clear(&app.db, "after a restart");
}

/// A database written before sealing: every value put back in clear where this gateway stores
/// it sealed (persons, match evidence, a flag's own evidence, a stored answer with evidence, a
/// review note). Started again, the gateway seals them, once, and still reads them.
fn rows_stored_in_clear_are_sealed_at_start(b: Backend) {
    let app = TestApp::start(b);
    let unrwa = app.agency("UNRWA", "submitter");
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &unrwa, &family("UNRWA-1"));
    assert_eq!(s, 201, "{first}");
    let household = first["household_id"].as_str().expect("household").to_owned();
    let record = first["record_id"].as_str().expect("record").to_owned();
    let (s, second) = app.post("/v1/records", &wfp, &other_agency("WFP-1"));
    assert_eq!(s, 201, "{second}");
    let (s, flags) = app.get("/v1/flags?status=open", &cw);
    assert_eq!(s, 200, "{flags}");
    let flag = flags["flags"][0]["flag_id"].as_str().expect("an open flag").to_owned();
    let (s, _) =
        app.post(&format!("/v1/flags/{flag}/review"), &cw, &json!({"decision": "dismiss", "note": "ID 401234563"}));
    assert_eq!(s, 200);
    let evidence = json!([{"field": "members[0].national_id", "ours": "401234563", "theirs": "401234563",
                           "level": "exact", "similarity": 1.0, "weight": 7.0}])
    .to_string();
    let db = app.stop();
    {
        let mut c = db.connect();
        let sql = [
            "UPDATE persons SET national_id = '401234563', national_id_hash = NULL, phone = '+970599123456', \
             phone_hash = NULL WHERE position = 0"
                .to_owned(),
            "UPDATE persons SET national_id = '852741960', national_id_hash = NULL, phone = '0597000111', \
             phone_hash = NULL WHERE position = 1 AND national_id IS NOT NULL"
                .to_owned(),
            format!("UPDATE match_evidence SET body = '{evidence}'"),
            format!("UPDATE flags SET evidence = '{evidence}'"),
            format!(
                "UPDATE records SET answer = '{}' WHERE id = '{}'",
                json!({"record_id": record, "household_id": household, "decision": "possible_duplicate", "flags": [{
                    "flag_id": "legacy", "kind": "possible_same_household", "band": "possible", "score": 0.5,
                    "matched_household_id": household, "evidence": serde_json::from_str::<Value>(&evidence).expect("json")}]}),
                record
            ),
            "UPDATE reviews SET note = 'ID 401234563'".to_owned(),
            format!("UPDATE records SET body_hash = '{}' WHERE id = '{record}'", "0a".repeat(32)),
            "DELETE FROM data_key".to_owned(),
        ];
        for q in sql {
            diesel::sql_query(&q).execute(&mut c).expect(&q);
        }
    }
    assert!(stored_text(&db).contains("401234563"), "the control: the values are back in clear");

    let app = TestApp::start_on(db);
    assert_readable(&app, &cw, &household, &record);
    let (s, rec) = app.get(&format!("/v1/records/{record}"), &cw);
    assert_eq!(s, 200, "{rec}");
    let (s, view) = app.get(&format!("/v1/households/{household}"), &cw);
    assert_eq!(s, 200, "{view}");
    let db = app.stop();
    assert_nothing_in_clear(&db, "after sealing at start");
    let sealed = stored_text(&db);

    // Once: a second start finds nothing to seal and changes no sealed value.
    let app = TestApp::start_on(db);
    assert_readable(&app, &cw, &household, &record);
    let db = app.stop();
    let mut c = db.connect();
    #[derive(diesel::QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        national_id: Option<String>,
    }
    let ids = diesel::sql_query("SELECT national_id FROM persons ORDER BY id").load::<Sealed>(&mut c).expect("ids");
    assert!(ids.iter().filter(|r| r.national_id.is_some()).count() >= 3, "the IDs are there");
    for id in ids.iter().filter_map(|r| r.national_id.as_deref()) {
        assert!(id.starts_with("enc1:"), "sealed: {id}");
        assert!(sealed.contains(id), "the second start left the sealed value as it was");
    }
    // The hash that tells a replay is keyed too, older ones included.
    let hashes =
        diesel::sql_query("SELECT body_hash AS national_id FROM records").load::<Sealed>(&mut c).expect("hashes");
    assert!(hashes.iter().all(|h| h.national_id.as_deref().is_some_and(|h| h.starts_with("k1:"))), "keyed");
    // And the database is marked wholly sealed, so later starts do not read every row again.
    let marked =
        diesel::sql_query("SELECT sealed_at AS national_id FROM data_key").load::<Sealed>(&mut c).expect("mark");
    assert!(marked.len() == 1 && marked[0].national_id.is_some(), "sealed_at is set");
}

/// The key file the gateway makes beside a SQLite database is its owner's only, holds 64 hex
/// characters, is read again on the next start; another key is refused.
#[test]
fn sqlite_key_file_is_private_and_another_key_is_refused() {
    let app = TestApp::start(Backend::Sqlite);
    let path = DataKey::file_of(&app.db.url);
    let text = std::fs::read_to_string(&path).expect("the key file is made on first start");
    assert_eq!(text.trim().len(), 64, "64 hex characters");
    DataKey::parse(&text).expect("a data key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("the key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is its owner's only: {mode:o}");
    }
    let sub = app.agency("UNRWA", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &sub, &family("UNRWA-1"));
    assert_eq!(s, 201, "{first}");
    let household = first["household_id"].as_str().expect("household").to_owned();
    let record = first["record_id"].as_str().expect("record").to_owned();
    let db = app.stop();

    let mut settings = TestApp::settings(&db);
    settings.data_key = Some(DataKey::generate().to_hex());
    let refused = Services::start(&settings).err().expect("another key is refused");
    assert!(matches!(refused, StartError::Setting(_)), "{refused}");
    assert!(refused.to_string().contains("not the data key this database was sealed with"), "{refused}");
    settings.data_key = Some("abc".into());
    let refused = Services::start(&settings).err().expect("a short key is refused");
    assert!(refused.to_string().contains("64 hex characters"), "{refused}");

    let app = TestApp::start_on(db);
    assert_eq!(std::fs::read_to_string(&path).expect("the key file"), text, "the same key, read again");
    let (s, rec) = app.get(&format!("/v1/records/{record}"), &cw);
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["members"][0]["national_id"], "401234563");
    assert_eq!(rec["household_id"], household.as_str());
}

/// Without `BAWABA_DATA_KEY`, a gateway on PostgreSQL refuses to start and says why.
#[test]
#[cfg_attr(not(pg_tests), ignore = "set BAWABA_TEST_POSTGRES_URL to run against PostgreSQL")]
fn postgres_without_a_data_key_refuses_to_start() {
    let db = TestDb::new(Backend::Postgres);
    let mut settings = TestApp::settings(&db);
    settings.data_key = None;
    let refused = Services::start(&settings).err().expect("no key, no start");
    let message = refused.to_string();
    assert!(message.contains("BAWABA_DATA_KEY is not set"), "{message}");
    assert!(message.contains("openssl rand -hex 32"), "says how to make one: {message}");
    // Refused before anything was changed: not even the schema was made.
    let tables = db.count("information_schema.tables WHERE table_schema = current_schema()");
    assert_eq!(tables, 0, "nothing migrated");
}
