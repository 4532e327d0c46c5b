//! Keys and roles. A key is shown once when it is made and stored only as its SHA-256 (keys
//! are 256 random bits, so a fast hash is the right tool); presented keys are hashed and
//! compared in constant time.
//!
//! Known keys are cached in memory after the first look-up. Unknown keys are cached too, for
//! [`UNKNOWN_TTL`] and at most [`UNKNOWN_CAPACITY`] of them, so that a flood of one bad key
//! costs no SQL. A new key is still accepted at once: keys are made here, 256 random bits each,
//! so no key can have been presented before it was made, and the use case that makes one
//! forgets it as unknown all the same ([`Keys::forget_unknown`]).
//!
//! The master key must be strong ([`check_master_key`]): the gateway refuses to start with a
//! weak one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use prometheus::IntCounter;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::service::error::ServiceError;
use crate::store::{DbConn, Pool, queries};

/// A key's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages agencies and keys.
    Admin,
    /// An agency's system posting records.
    Submitter,
    /// Looks households up, reviews flags.
    Caseworker,
    /// Reads everything, writes nothing but reviews.
    Auditor,
    /// The planning group's lead: reads the directory, needs and coverage, writes needs; sees
    /// no names.
    Coordinator,
}

impl Role {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Submitter => "submitter",
            Role::Caseworker => "caseworker",
            Role::Auditor => "auditor",
            Role::Coordinator => "coordinator",
        }
    }

    /// Reads the wire form.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "submitter" => Some(Role::Submitter),
            "caseworker" => Some(Role::Caseworker),
            "auditor" => Some(Role::Auditor),
            "coordinator" => Some(Role::Coordinator),
            _ => None,
        }
    }
}

/// Who is asking: a key, its role and its agency (none for the master key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: Option<String>,
    pub agency_id: Option<String>,
    pub agency_code: Option<String>,
    pub role: Role,
}

impl Principal {
    /// Refuses unless the role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    /// The operator at the command line (`bawaba report …`): reads like an auditor.
    pub fn operator() -> Principal {
        Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Auditor }
    }

    /// Whether this caller sees other agencies' persons' values (names, IDs, dates, phones).
    /// A submitter sees only its own agency's; everyone else's appear as agency and role.
    pub fn sees_others_values(&self) -> bool {
        self.role != Role::Submitter
    }

    /// Whether this caller sees a person's protection marks (`child_protection`,
    /// `women_protection`): the one rule, used wherever a person is shown. Only the agency that
    /// posted them (`posted_by_agency_id`, any of its keys) and caseworkers whose scope holds the
    /// household (`household_places`: the governorate and locality codes of the household's
    /// records) see them; everyone else, the admin and auditors included, sees protection cases
    /// only as counts in reports.
    ///
    /// Scopes are not kept yet: every caseworker counts as holding every household until they
    /// are (then a scoped caseworker sees them only when one of `household_places` is in scope).
    pub fn sees_protection(
        &self,
        posted_by_agency_id: Option<&str>,
        household_places: &[(Option<String>, Option<String>)],
    ) -> bool {
        if self.agency_id.is_some() && self.agency_id.as_deref() == posted_by_agency_id {
            return true;
        }
        let _ = household_places;
        self.role == Role::Caseworker
    }

    /// Hides from this caller the evidence values it may not see: a submitter sees the stored
    /// side's value only when its own agency posted that person; evidence that does not say
    /// whose person it was is hidden too.
    pub fn redact(&self, evidence: &mut [crate::service::domain::EvidenceItem]) {
        if !self.sees_others_values() {
            for e in evidence {
                if self.agency_code.is_none() || e.theirs_agency != self.agency_code {
                    e.theirs = None;
                }
            }
        }
    }
}

/// Hex SHA-256 of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(digest(key))
}

/// A new random key: `bwb_` and 64 hex digits.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("bwb_{}", hex::encode(bytes))
}

/// How long an unknown key is remembered as unknown.
pub const UNKNOWN_TTL: Duration = Duration::from_secs(10);
/// Most unknown keys remembered at once (the least used are forgotten first).
pub const UNKNOWN_CAPACITY: usize = 65_536;

/// Fewest characters of a master key.
pub const MASTER_KEY_MIN_CHARS: usize = 32;
/// Fewest different characters in a master key.
const MASTER_KEY_MIN_DISTINCT: usize = 10;

/// Refuses a weak master key, saying why (never the key itself): it must have at least
/// [`MASTER_KEY_MIN_CHARS`] characters, 10 of them different, and no spaces or control
/// characters. `openssl rand -hex 32` makes a good one.
pub fn check_master_key(key: &str) -> Result<(), String> {
    const HOW: &str = "make one with `openssl rand -hex 32`";
    let chars = key.chars().count();
    if chars < MASTER_KEY_MIN_CHARS {
        return Err(format!(
            "BAWABA_MASTER_KEY is too weak: it has {chars} characters and needs at least {MASTER_KEY_MIN_CHARS}; {HOW}"
        ));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("BAWABA_MASTER_KEY must not hold spaces or control characters; {HOW}"));
    }
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MASTER_KEY_MIN_DISTINCT {
        return Err(format!(
            "BAWABA_MASTER_KEY is too weak: it uses {} different characters and needs at least \
             {MASTER_KEY_MIN_DISTINCT}; {HOW}",
            distinct.len()
        ));
    }
    Ok(())
}

/// Checks presented keys.
#[derive(Clone)]
pub struct Keys {
    master_hash: Option<[u8; 32]>,
    cache: Arc<RwLock<HashMap<[u8; 32], Principal>>>,
    /// Digests of keys found unknown, with when.
    unknown: Arc<quick_cache::sync::Cache<[u8; 32], Instant>>,
    /// Look-ups of presented keys in the database.
    lookups: IntCounter,
}

impl Keys {
    /// With the master key, if one is configured (an empty one is none; check its strength
    /// first with [`check_master_key`]), counting database look-ups in `lookups`.
    pub fn new(master_key: Option<&str>, lookups: IntCounter) -> Self {
        Keys {
            master_hash: master_key.filter(|k| !k.is_empty()).map(digest),
            cache: Arc::default(),
            unknown: Arc::new(quick_cache::sync::Cache::new(UNKNOWN_CAPACITY)),
            lookups,
        }
    }

    /// The principal behind a presented key, or `Unauthorized`. Blocking: call off the async
    /// workers.
    pub fn authenticate(&self, pool: &Pool, key: &str) -> Result<Principal, ServiceError> {
        let digest = digest(key);
        if self.is_master(&digest) {
            return Ok(Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Admin });
        }
        if let Some(p) = self.cache.read().get(&digest) {
            return Ok(p.clone());
        }
        if let Some(at) = self.unknown.get(&digest) {
            if at.elapsed() < UNKNOWN_TTL {
                return Err(ServiceError::Unauthorized);
            }
            self.unknown.remove(&digest);
        }
        let mut conn = pool.get().map_err(|_| ServiceError::Unavailable)?;
        self.lookups.inc();
        match lookup(&mut conn, &hex::encode(digest))? {
            Some(principal) => {
                self.cache.write().insert(digest, principal.clone());
                Ok(principal)
            }
            None => {
                self.unknown.insert(digest, Instant::now());
                Err(ServiceError::Unauthorized)
            }
        }
    }

    /// Whether a key's digest is one this gateway already knows (the master key or a key found
    /// before), asking no database: what the rate limits key a request by.
    pub fn is_known(&self, digest: &[u8; 32]) -> bool {
        self.is_master(digest) || self.cache.read().contains_key(digest)
    }

    /// Forgets that a key was unknown (a key just made).
    pub fn forget_unknown(&self, key: &str) {
        self.unknown.remove(&digest(key));
    }

    fn is_master(&self, digest: &[u8; 32]) -> bool {
        self.master_hash.as_ref().is_some_and(|m| bool::from(m.ct_eq(digest)))
    }
}

/// SHA-256 of a key.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn lookup(conn: &mut DbConn, hash: &str) -> Result<Option<Principal>, ServiceError> {
    let Some((key, agency)) = queries::key_by_hash(conn, hash)? else {
        return Ok(None);
    };
    // The row was found by its hash; compare again in constant time so that no timing
    // difference depends on how much of the hash matched.
    if !bool::from(key.key_hash.as_bytes().ct_eq(hash.as_bytes())) {
        return Ok(None);
    }
    let role = Role::parse(&key.role).ok_or_else(|| ServiceError::Internal("stored key has an unknown role".into()))?;
    Ok(Some(Principal { key_id: Some(key.id), agency_id: Some(agency.id), agency_code: Some(agency.code), role }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_master_keys_are_refused_with_the_reason() {
        assert!(check_master_key("change-me").is_err_and(|e| e.contains("9 characters") && e.contains("32")));
        assert!(check_master_key(&"a".repeat(40)).is_err_and(|e| e.contains("1 different")));
        assert!(check_master_key("abcdefghij abcdefghij abcdefghij abc").is_err_and(|e| e.contains("spaces")));
        assert!(check_master_key("a-long-local-example-key-0123456789").is_ok());
        assert!(check_master_key(&hex::encode([0x5a_u8; 16]).replace('5', "x")).is_err(), "two characters only");
        let strong = hex::encode(rand::random::<[u8; 32]>());
        assert!(check_master_key(&strong).is_ok());
        let err = check_master_key("short-secret").expect_err("too short");
        assert!(!err.contains("short-secret"), "the key is never in the message");
    }
}
