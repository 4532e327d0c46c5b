//! What each fuzz target does with its input, shared by the targets (`fuzz_targets/`, run by
//! `cargo +nightly fuzz run`) and by the gateway's test that replays the kept corpus on stable
//! (`tests/api/fuzzed.rs`, which includes this file). Each answers without panicking, whatever
//! the bytes; a panic is the finding.

use std::sync::LazyLock;

use bawaba::api::body::parse_json;
use bawaba::import::mapping::{self, Field, Mapping};
use bawaba::import::table;
use bawaba::service::validate;
use bawaba_matching::{PersonInput, Role, Sex, normalize, prepare};
use bawaba_places::Gazetteer;
use bawaba_wire::records::{BatchBody, RecordBody};

static PLACES: LazyLock<Gazetteer> = LazyLock::new(Gazetteer::builtin);

/// Name preparation: a name, national ID, birth date and phone (lines of the input) go through
/// the gateway's checks and the matcher's preparation; normalising a name twice changes nothing
/// more.
pub fn names(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(4, '\n');
    let name = parts.next().unwrap_or("");
    let (id, dob, phone) = (parts.next(), parts.next(), parts.next());
    let _ = validate::check_name(name);
    let _ = validate::check_place_name(name);
    if let Some(d) = dob {
        let _ = validate::check_date(d);
        let _ = validate::is_birth_date(d);
    }
    if let Some(p) = phone {
        let _ = validate::is_phone(p);
    }
    let once = normalize::name(name);
    assert_eq!(normalize::name(&once), once, "normalising a name twice changes it again");
    let sex = if data.len().is_multiple_of(2) { Some(Sex::F) } else { Some(Sex::M) };
    let _ = prepare(&PersonInput { role: Role::Head, name, national_id: id, date_of_birth: dob, sex, phone });
    let _ = prepare(&PersonInput {
        role: Role::Other,
        name: &once,
        national_id: phone,
        date_of_birth: id,
        sex: None,
        phone: dob,
    });
}

/// Body parsing and validation: the bytes as a record body and as a batch, parsed strictly and
/// validated (names, dates, IDs, places against the gazetteer).
pub fn body(data: &[u8]) {
    if let Ok(body) = parse_json::<RecordBody>(data) {
        let _ = validate::record(body, &PLACES);
    }
    if let Ok(batch) = parse_json::<BatchBody>(data) {
        for v in batch.records {
            let _ = validate::parse_value::<RecordBody>(v).and_then(|b| validate::record(b, &PLACES));
        }
    }
}

/// The import reader: the bytes after the first as CSV (first byte even) or as a spreadsheet
/// (odd), mapped by their headers and converted to record bodies, which are then validated as
/// the gateway would.
pub fn import(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let known = |headers: &[String]| headers.iter().filter(|h| Field::parse(h).is_some()).count() >= 2;
    let read = if kind.is_multiple_of(2) {
        table::read_csv(bytes, &known)
    } else {
        table::read_spreadsheet_bytes(bytes, None, &known)
    };
    let Ok(t) = read else { return };
    let Ok(map) = Mapping::new(&t.headers, &[]) else { return };
    for pending in mapping::convert(&t.rows, &map).records {
        let _ = validate::record(pending.body, &PLACES);
    }
}
