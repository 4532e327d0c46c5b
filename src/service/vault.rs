//! Personal data at rest: national IDs and phones never reach the database in clear.
//!
//! One 32-byte data key (`BAWABA_DATA_KEY`, 64 hex characters; see [`DataKey`]) gives two keys
//! derived from it with HMAC-SHA256 under fixed labels:
//!
//! - a **lookup key**: a person's national ID and phone are stored beside their sealed value as
//!   the keyed hash (HMAC-SHA256) of their normalised form (`persons.national_id_hash` and
//!   `persons.phone_hash`), so an exact comparison in SQL needs no clear value and the hash
//!   cannot be reversed by trying every ID without the key. Neither hash is indexed (at a
//!   million people their random keys made every insert dirty a page of its own): an exact
//!   look-up by ID asks the engine which households hold the ID and confirms them by the hash
//!   (`EngineState::households_with_national_id`);
//! - a **sealing key**: what an authorised person must read back (a member's national ID and
//!   phone, the evidence of a match, a reviewer's note) is sealed with AES-256-GCM, a random
//!   96-bit nonce per value, and the column it belongs to as associated data, so a sealed value
//!   cannot be moved to another column. A sealed value is text: `enc1:` and the base64 of nonce
//!   and ciphertext. The evidence of a match is packed (zstd) before it is sealed, marked
//!   `enc2:`: sealed as it was, it was a quarter of the database (149 of 560 MB for 100,000
//!   records) and it packs to about a sixth.
//!
//! The in-memory index holds what matching needs (near IDs still match): the values are opened
//! when it is rebuilt at start. A record's body hash (which tells a replay) is keyed too. Rows
//! stored in clear before sealing existed are sealed once at start ([`seal_stored`]); opening a value without the `enc1:` mark gives it back as it is, so
//! a command run on a database not yet sealed still reads it.
//!
//! Where the key comes from ([`DataKey::resolve`]): `BAWABA_DATA_KEY`; else, on the embedded
//! SQLite database, a file beside it (`<database>.key`, made `0600` on first start, said so in
//! the log); on PostgreSQL nothing else: starting without the key is refused. A check value
//! sealed with the key is kept in the database (`data_key`), so starting with another key is
//! refused before anything is misread. Losing the key loses every national ID and phone.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::Connection;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::store::models::PersonRow;
use crate::store::{Backend, DbConn, DbTarget, queries};

/// The environment variable that holds the data key.
pub const DATA_KEY_ENV: &str = "BAWABA_DATA_KEY";

/// The mark a sealed value starts with.
const SEALED: &str = "enc1:";
/// The mark of a sealed value that was packed (zstd) before it was sealed: evidence.
const PACKED: &str = "enc2:";
/// How hard evidence is packed: a match's evidence (about 7 KB of JSON, the same keys and
/// levels for every member pair) packs to about a tenth.
const PACK_LEVEL: i32 = 3;

/// Packs evidence with a compressor kept per thread: making a new one for each value (what
/// `zstd::bulk::compress` does) allocated and cleared its tables every time, about as much as
/// the compression itself on the writer's thread.
fn pack(clear: &[u8]) -> Option<Vec<u8>> {
    thread_local! {
        static PACKER: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    PACKER.with_borrow_mut(|packer| {
        if packer.is_none() {
            *packer = zstd::bulk::Compressor::new(PACK_LEVEL).ok();
        }
        packer.as_mut()?.compress(clear).ok()
    })
}
/// The mark of a record's keyed body hash (see [`Vault::body_hash`]).
const KEYED: &str = "k1:";

/// The column (or kind of value) a sealed value belongs to: its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `persons.national_id`.
    NationalId,
    /// `persons.phone`.
    Phone,
    /// The evidence of a match (`match_evidence.body`, and `flags.evidence` of older flags).
    Evidence,
    /// `reviews.note`.
    ReviewNote,
    /// Why a record was withdrawn or a person erased (`records.withdrawn_reason`,
    /// `record_versions.reason`).
    Reason,
    /// The check value of `data_key`.
    Check,
}

impl Column {
    fn label(self) -> &'static [u8] {
        match self {
            Column::NationalId => b"persons.national_id",
            Column::Phone => b"persons.phone",
            Column::Evidence => b"evidence",
            Column::ReviewNote => b"reviews.note",
            Column::Reason => b"records.reason",
            Column::Check => b"data_key.check",
        }
    }
}

/// A value that is marked sealed but does not open with this key (another key, or damage).
#[derive(Debug, thiserror::Error)]
#[error("a sealed value does not open with this data key")]
pub struct NotOpened;

/// The 32 bytes of the data key.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// Where the data key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `BAWABA_DATA_KEY`.
    Environment,
    /// The key file beside the SQLite database, read.
    File(PathBuf),
    /// The key file beside the SQLite database, made now.
    Created(PathBuf),
    /// An in-memory database: a key for this run only.
    Ephemeral,
}

impl DataKey {
    /// Reads a key written as 64 hex characters (surrounding white space ignored).
    pub fn parse(text: &str) -> Result<DataKey, String> {
        let text = text.trim();
        let bytes = hex::decode(text).ok().filter(|b| b.len() == 32).ok_or_else(|| {
            format!(
                "{DATA_KEY_ENV} must be 64 hex characters (32 bytes; `openssl rand -hex 32` makes one), not {} characters",
                text.chars().count()
            )
        })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(DataKey(key))
    }

    /// A new random key.
    pub fn generate() -> DataKey {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        DataKey(key)
    }

    /// The key as 64 hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key file of a SQLite database: `<path>.key` beside it.
    pub fn file_of(database: &str) -> PathBuf {
        PathBuf::from(format!("{database}.key"))
    }

    /// The data key for this database: the one given (from `BAWABA_DATA_KEY`), else on SQLite
    /// the key file beside the database, made on first start (`0600`); on PostgreSQL a missing
    /// key is an error that says what to do.
    pub fn resolve(target: &DbTarget, given: Option<&str>) -> Result<(DataKey, KeySource), String> {
        if let Some(text) = given.filter(|t| !t.trim().is_empty()) {
            return Ok((DataKey::parse(text)?, KeySource::Environment));
        }
        match target.backend {
            Backend::Postgres => Err(format!(
                "{DATA_KEY_ENV} is not set: on PostgreSQL the gateway needs the data key that seals national IDs and \
                 phones (64 hex characters; make one with `openssl rand -hex 32` and keep it safe: losing it loses \
                 every ID and phone)"
            )),
            Backend::Sqlite if target.url == ":memory:" || target.url.starts_with("file:") => {
                Ok((DataKey::generate(), KeySource::Ephemeral))
            }
            Backend::Sqlite => {
                let path = DataKey::file_of(&target.url);
                match std::fs::read_to_string(&path) {
                    Ok(text) => DataKey::parse(&text)
                        .map(|k| (k, KeySource::File(path.clone())))
                        .map_err(|e| format!("the key file {}: {e}", path.display())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&path),
                    Err(e) => Err(format!("cannot read the key file {}: {e}", path.display())),
                }
            }
        }
    }
}

/// Makes a new key file readable by its owner only.
fn create_key_file(path: &Path) -> Result<(DataKey, KeySource), String> {
    use std::io::Write;
    let key = DataKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create the key file {}: {e}", path.display()))?;
    writeln!(file, "{}", key.to_hex())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))?;
    Ok((key, KeySource::Created(path.to_owned())))
}

/// The keys derived from the data key: one for look-up hashes, one for sealing.
pub struct Vault {
    lookup: Hmac<Sha256>,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(…)")
    }
}

/// A key derived from the data key for one use: HMAC-SHA256 of a fixed label.
fn subkey(key: &DataKey, label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    mac.update(label);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

impl Vault {
    /// The vault of a data key.
    pub fn new(key: &DataKey) -> Vault {
        let lookup = subkey(key, b"bawaba lookup v1");
        let seal = subkey(key, b"bawaba seal v1");
        Vault {
            lookup: <Hmac<Sha256> as Mac>::new_from_slice(&lookup).expect("HMAC takes a key of any length"),
            cipher: Aes256Gcm::new(&seal.into()),
        }
    }

    fn keyed_hash(&self, kind: &[u8], value: &str) -> String {
        let mut mac = self.lookup.clone();
        mac.update(kind);
        mac.update(b"\0");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The look-up hash of a national ID (any way of writing it: it is normalised first), or
    /// none for something that is not an ID.
    pub fn national_id_hash(&self, national_id: &str) -> Option<String> {
        bawaba_matching::normalize::national_id(national_id).map(|id| self.keyed_hash(b"national_id", &id))
    }

    /// The look-up hash of a phone (normalised first), or none for something that is not one.
    pub fn phone_hash(&self, phone: &str) -> Option<String> {
        bawaba_matching::normalize::phone(phone).map(|p| self.keyed_hash(b"phone", &p))
    }

    /// What a record stores to tell a replay: the keyed hash of its body's SHA-256 (hex), marked
    /// `k1:`. A plain hash of a body that holds an ID could be matched by trying every ID with
    /// the rest of the body; a keyed one cannot without the key.
    pub fn body_hash(&self, sha256_hex: &str) -> String {
        format!("{KEYED}{}", self.keyed_hash(b"body", sha256_hex))
    }

    /// Seals a value for a column: `enc1:` and base64 of a random nonce and the ciphertext;
    /// evidence is packed first and marked `enc2:` instead.
    pub fn seal(&self, column: Column, clear: &str) -> String {
        let packed = match column {
            Column::Evidence => pack(clear.as_bytes()),
            _ => None,
        };
        let (mark, msg) = match &packed {
            Some(p) => (PACKED, p.as_slice()),
            None => (SEALED, clear.as_bytes()),
        };
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad: column.label() })
            .expect("AES-GCM seals any value under 64 GiB");
        let mut bytes = Vec::with_capacity(12 + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!("{mark}{}", B64.encode(bytes))
    }

    /// Opens a value sealed for a column. A value without the mark (stored before sealing, not
    /// yet converted) is given back as it is.
    pub fn open(&self, column: Column, stored: &str) -> Result<String, NotOpened> {
        let (body, packed) = match (stored.strip_prefix(SEALED), stored.strip_prefix(PACKED)) {
            (Some(body), _) => (body, false),
            (None, Some(body)) => (body, true),
            (None, None) => return Ok(stored.to_owned()),
        };
        let bytes = B64.decode(body).map_err(|_| NotOpened)?;
        if bytes.len() < 12 + 16 {
            return Err(NotOpened);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: column.label() })
            .map_err(|_| NotOpened)?;
        let clear = if packed { zstd::stream::decode_all(clear.as_slice()).map_err(|_| NotOpened)? } else { clear };
        String::from_utf8(clear).map_err(|_| NotOpened)
    }

    /// Opens an optional sealed value.
    pub fn open_opt(&self, column: Column, stored: Option<&str>) -> Result<Option<String>, NotOpened> {
        stored.map(|s| self.open(column, s)).transpose()
    }

    /// A person row as it is stored: its national ID and phone sealed (those not sealed yet),
    /// with their look-up hashes.
    pub fn seal_person(&self, mut row: PersonRow) -> PersonRow {
        if let Some(v) = row.national_id.take() {
            if !is_sealed(&v) {
                row.national_id_hash = self.national_id_hash(&v);
            }
            row.national_id = Some(if is_sealed(&v) { v } else { self.seal(Column::NationalId, &v) });
        }
        if let Some(v) = row.phone.take() {
            if !is_sealed(&v) {
                row.phone_hash = self.phone_hash(&v);
            }
            row.phone = Some(if is_sealed(&v) { v } else { self.seal(Column::Phone, &v) });
        }
        row
    }

    /// A stored person row with its national ID and phone opened.
    pub fn open_person(&self, mut row: PersonRow) -> Result<PersonRow, NotOpened> {
        row.national_id = self.open_opt(Column::NationalId, row.national_id.as_deref())?;
        row.phone = self.open_opt(Column::Phone, row.phone.as_deref())?;
        Ok(row)
    }

    /// Opens stored evidence (JSON text); empty text stays empty.
    pub fn open_evidence(&self, stored: &str) -> Result<String, NotOpened> {
        self.open(Column::Evidence, stored)
    }
}

impl From<NotOpened> for super::error::ServiceError {
    fn from(e: NotOpened) -> Self {
        super::error::ServiceError::Internal(e.to_string())
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED) || stored.starts_with(PACKED)
}

/// What sealing the stored rows did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    pub persons: usize,
    pub evidence: usize,
    pub flags: usize,
    pub answers: usize,
    pub notes: usize,
    pub body_hashes: usize,
}

impl Sealed {
    /// Whether anything was sealed.
    pub fn any(&self) -> bool {
        *self != Sealed::default()
    }
}

/// Checks that `vault` is the key this database was sealed with (a check value sealed with it
/// is stored on first start), then seals every value stored in clear before sealing existed:
/// persons' national IDs and phones (with their look-up hashes), the evidence of matches (and
/// of older flags that carried their own), reviewers' notes; and takes the evidence out of
/// stored first answers (a replay takes it from the flags). Done once, in pages, idempotent:
/// a sealed value is left as it is; after a whole pass the database is marked wholly sealed
/// (`data_key.sealed_at`) and later starts only check the key. On SQLite, when anything was sealed, the file is rebuilt
/// (`VACUUM`) and its write-ahead log emptied so that no page keeps the clear values.
pub fn seal_stored(conn: &mut DbConn, vault: &Vault) -> Result<Sealed, String> {
    let db = |e: diesel::result::Error| format!("sealing stored personal data: {e}");
    match queries::data_key_check(conn).map_err(db)? {
        Some(check) => {
            vault.open(Column::Check, &check).map_err(|_| {
                format!(
                    "{DATA_KEY_ENV} is not the data key this database was sealed with: start with the key it was made \
                     with (its national IDs and phones cannot be read without it)"
                )
            })?;
        }
        None => queries::set_data_key_check(conn, &vault.seal(Column::Check, "bawaba")).map_err(db)?,
    }
    let mut done = Sealed::default();
    // Once a whole pass has found nothing left in clear, intake has sealed all it stored since:
    // a start does not read every row again (at a million persons that was seconds of it).
    if queries::wholly_sealed(conn).map_err(db)? {
        return Ok(done);
    }
    // The clear values' space is zeroed as it is freed, while sealing only: the connection
    // goes on to be the writer's.
    queries::zero_freed_space(conn, true).map_err(db)?;
    let mut after = 0i64;
    loop {
        let page = queries::persons_after(conn, after, 1_000).map_err(db)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let rows: Vec<PersonRow> = page
            .into_iter()
            .filter(|r| r.national_id.iter().chain(&r.phone).any(|v| !is_sealed(v)))
            .map(|r| vault.seal_person(r))
            .collect();
        conn.transaction(|c| rows.iter().try_for_each(|r| queries::set_person_sealed(c, r))).map_err(db)?;
        done.persons += rows.len();
    }
    done.evidence = seal_column(
        conn,
        |c, a| queries::evidence_after(c, a, 1_000),
        |c, id, body| queries::set_evidence_body(c, id, &vault.seal(Column::Evidence, body)),
    )
    .map_err(db)?;
    done.flags = seal_column(
        conn,
        |c, a| queries::flag_evidence_after(c, a, 1_000),
        |c, id, body| queries::set_flag_evidence(c, id, &vault.seal(Column::Evidence, body)),
    )
    .map_err(db)?;
    done.notes = seal_column(
        conn,
        |c, a| queries::notes_after(c, a, 1_000),
        |c, id, note| queries::set_review_note(c, id, &vault.seal(Column::ReviewNote, note)),
    )
    .map_err(db)?;
    done.body_hashes = seal_column(
        conn,
        |c, a| queries::plain_body_hashes_after(c, a, 1_000),
        |c, id, hash| queries::set_body_hash(c, id, &vault.body_hash(hash)),
    )
    .map_err(db)?;
    let mut after: Option<String> = None;
    loop {
        let page = queries::answers_with_evidence(conn, after.as_deref(), 1_000).map_err(db)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        let mut stripped = Vec::new();
        for (id, text) in &page {
            let Ok(mut answer) = serde_json::from_str::<super::domain::Answer>(text) else { continue };
            if answer.flags.iter().all(|f| f.evidence.is_empty()) {
                continue;
            }
            for f in &mut answer.flags {
                f.evidence.clear();
            }
            let text = serde_json::to_string(&answer).map_err(|e| format!("sealing stored answers: {e}"))?;
            stripped.push((id.clone(), text));
        }
        conn.transaction(|c| stripped.iter().try_for_each(|(id, text)| queries::set_record_answer(c, id, text)))
            .map_err(db)?;
        done.answers += stripped.len();
    }
    if done.any() {
        // Rebuild the file (SQLite) or the tables (PostgreSQL) so that no free page or dead
        // row keeps the clear values. On PostgreSQL this needs the tables' owner; without it,
        // say so and go on (the live rows are sealed either way).
        if let Err(e) = queries::compact(conn) {
            tracing::warn!(error = %e, "could not rebuild the tables after sealing; run VACUUM FULL as their owner");
        }
    }
    queries::set_wholly_sealed(conn, &super::ids::now()).map_err(db)?;
    queries::zero_freed_space(conn, false).map_err(db)?;
    Ok(done)
}

/// Seals the values a column still holds in clear, in pages of (id, value) read after an id
/// (`page` gives only values not empty); returns how many it sealed.
fn seal_column(
    conn: &mut DbConn,
    page: impl Fn(&mut DbConn, Option<&str>) -> Result<Vec<(String, String)>, diesel::result::Error>,
    set: impl Fn(&mut DbConn, &str, &str) -> Result<(), diesel::result::Error>,
) -> Result<usize, diesel::result::Error> {
    let mut after: Option<String> = None;
    let mut n = 0;
    loop {
        let rows = page(conn, after.as_deref())?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.clone());
        let clear: Vec<&(String, String)> =
            rows.iter().filter(|(_, v)| !is_sealed(v) && !v.starts_with(KEYED)).collect();
        conn.transaction(|c| clear.iter().try_for_each(|(id, v)| set(c, id, v)))?;
        n += clear.len();
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(&DataKey::parse(&"ab".repeat(32)).expect("a key"))
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_column() {
        let v = vault();
        let sealed = v.seal(Column::NationalId, "401234563");
        assert!(is_sealed(&sealed) && !sealed.contains("401234563"), "{sealed}");
        assert_ne!(sealed, v.seal(Column::NationalId, "401234563"), "a fresh nonce each time");
        assert_eq!(v.open(Column::NationalId, &sealed).expect("opens"), "401234563");
        assert!(v.open(Column::Phone, &sealed).is_err(), "not in another column");
        let other = Vault::new(&DataKey::generate());
        assert!(other.open(Column::NationalId, &sealed).is_err(), "not with another key");
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(v.open(Column::NationalId, &damaged).is_err(), "not once changed");
        // A value stored before sealing is read as it is.
        assert_eq!(v.open(Column::Phone, "0599123456").expect("clear"), "0599123456");
    }

    #[test]
    fn evidence_is_packed_before_it_is_sealed_and_opens_as_it_was() {
        let v = vault();
        let line = r#"{"field":"members[0].name","ours":"fathi alagha","theirs":"fathi alagha","level":"exact","similarity":1.0,"weight":24.101}"#;
        let evidence = format!("[{}]", vec![line; 40].join(","));
        let sealed = v.seal(Column::Evidence, &evidence);
        assert!(sealed.starts_with(PACKED) && is_sealed(&sealed), "{sealed}");
        assert!(sealed.len() * 4 < evidence.len(), "packed: {} of {} bytes", sealed.len(), evidence.len());
        assert_eq!(v.open_evidence(&sealed).expect("opens"), evidence);
        assert!(v.open(Column::ReviewNote, &sealed).is_err(), "not in another column");
        // Evidence sealed before it was packed still opens.
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = v
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: evidence.as_bytes(), aad: Column::Evidence.label() })
            .expect("seals");
        let old = format!("{SEALED}{}", B64.encode([nonce.as_slice(), &ct].concat()));
        assert_eq!(v.open_evidence(&old).expect("opens"), evidence);
        // Other columns are sealed as before.
        assert!(v.seal(Column::Phone, "0599123456").starts_with(SEALED));
    }

    #[test]
    fn lookup_hashes_are_keyed_and_take_any_spelling() {
        let v = vault();
        let id = v.national_id_hash("401234563").expect("an ID");
        assert_eq!(v.national_id_hash("401-234-563").as_deref(), Some(id.as_str()));
        assert_eq!(v.national_id_hash("٤٠١٢٣٤٥٦٣").as_deref(), Some(id.as_str()));
        assert_ne!(Vault::new(&DataKey::generate()).national_id_hash("401234563").as_deref(), Some(id.as_str()));
        assert_eq!(v.phone_hash("+970599123456"), v.phone_hash("00970 599 123 456"));
        assert_ne!(v.phone_hash("0599123456"), v.national_id_hash("0599123456"), "kinds apart");
        assert!(v.body_hash("00ff").starts_with(KEYED));
    }

    #[test]
    fn a_person_is_sealed_once() {
        let v = vault();
        let row = PersonRow {
            id: 1,
            record_id: "r".into(),
            household_id: "h".into(),
            position: 0,
            role: "head".into(),
            name: "x".into(),
            national_id: Some("401234563".into()),
            date_of_birth: None,
            sex: None,
            phone: Some("0599123456".into()),
            national_id_hash: None,
            phone_hash: None,
            groups: None,
        };
        let sealed = v.seal_person(row);
        assert!(sealed.national_id_hash.is_some() && sealed.phone_hash.is_some());
        let again = v.seal_person(sealed.clone());
        assert_eq!(again.national_id, sealed.national_id, "a sealed value is left as it is");
        let opened = v.open_person(again).expect("opens");
        assert_eq!((opened.national_id.as_deref(), opened.phone.as_deref()), (Some("401234563"), Some("0599123456")));
    }

    #[test]
    fn the_key_is_64_hex_characters() {
        assert!(DataKey::parse("abc").is_err());
        assert!(DataKey::parse(&"zz".repeat(32)).is_err());
        assert!(DataKey::parse(&"ab".repeat(33)).is_err());
        let key = DataKey::generate();
        assert_eq!(DataKey::parse(&format!(" {}\n", key.to_hex())).expect("with white space").to_hex(), key.to_hex());
    }
}
