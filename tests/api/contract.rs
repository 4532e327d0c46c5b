//! The contract as the wire carries it, held still by snapshots: the OpenAPI document the
//! gateway serves, and the error bodies of each kind of bad request. A change to either shows
//! up as a snapshot diff in review (`INSTA_UPDATE=always cargo test --release --test api
//! contract` writes the new one; read it before committing it).

use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

#[test]
fn openapi_document() {
    let app = TestApp::start(Backend::Sqlite);
    let (s, doc) = app.req("GET", "/openapi.json", None, None);
    assert_eq!(s, 200);
    // The enums say the words the wire carries.
    let aid = &doc["components"]["schemas"]["AidType"]["enum"];
    assert!(aid.as_array().is_some_and(|a| a.contains(&json!("in_kind"))), "{aid}");
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn error_bodies() {
    let app = TestApp::start(Backend::Sqlite);
    let key = app.agency("WFP", "submitter");
    let mut seen = serde_json::Map::new();
    let mut note = |what: &str, (status, body): (u16, Value)| {
        seen.insert(what.to_owned(), json!({"status": status, "body": body}));
    };
    note("no key", app.req("GET", "/v1/whoami", None, None));
    note("unknown key", app.get("/v1/whoami", "bwb_0"));
    note("wrong role", app.get("/v1/agencies", &key));
    note("unknown route", app.get("/v1/nowhere", &key));
    note("unknown record", app.get("/v1/records/nope", &key));
    note("malformed JSON", app.raw("POST", "/v1/records", Some(&key), b"{\"external_id\": "));
    note("missing field", app.post("/v1/records", &key, &json!({"external_id": "x"})));
    note(
        "unknown enum value",
        app.post(
            "/v1/records",
            &key,
            &json!({"external_id": "x",
        "assistance": {"type": "gold", "period_start": "2026-01-01"}, "members": []}),
        ),
    );
    note(
        "invalid values",
        app.post(
            "/v1/records",
            &key,
            &json!({"external_id": "x",
        "assistance": {"type": "cash", "period_start": "2026-02-30", "amount": -1},
        "members": [{"role": "head", "name": "X1", "national_id": "abc", "date_of_birth": "2999-01-01"}]}),
        ),
    );
    note("bad query", app.get("/v1/households/search?limit=0", &key));
    let auditor = app.agency("AUD", "auditor");
    note("bad report filter", app.get("/v1/reports/overlaps?from=2026-13-01", &auditor));
    note("method not allowed", app.req("DELETE", "/v1/records", Some(&key), None));
    insta::assert_json_snapshot!("error_bodies", seen);
}

#[test]
fn a_known_path_with_another_method_is_405_with_allow() {
    let app = TestApp::start(Backend::Sqlite);
    for (method, path, allow) in
        [("DELETE", "/v1/records", "POST, GET"), ("PUT", "/v1/agencies", "POST, GET"), ("POST", "/healthz", "GET")]
    {
        let res = match ureq::request(method, &format!("{}{path}", app.base)).call() {
            Err(ureq::Error::Status(_, r)) => r,
            other => panic!("{method} {path}: {other:?}"),
        };
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.header("Allow"), Some(allow), "{method} {path}");
    }
    // An unknown path is still 404.
    assert_eq!(app.req("GET", "/v1/nowhere", None, None).0, 404);
}
