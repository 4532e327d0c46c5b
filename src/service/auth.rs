//! Keys and roles. A key is shown once when it is made and stored only as its SHA-256 (keys
//! are 256 random bits, so a fast hash is the right tool); presented keys are hashed and
//! compared in constant time. Known keys are cached in memory after the first look-up.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
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
}

impl Role {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Submitter => "submitter",
            Role::Caseworker => "caseworker",
            Role::Auditor => "auditor",
        }
    }

    /// Reads the wire form.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "submitter" => Some(Role::Submitter),
            "caseworker" => Some(Role::Caseworker),
            "auditor" => Some(Role::Auditor),
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
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key: `bwb_` and 64 hex digits.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("bwb_{}", hex::encode(bytes))
}

/// Checks presented keys.
#[derive(Clone)]
pub struct Keys {
    master_hash: Option<[u8; 32]>,
    cache: Arc<RwLock<HashMap<String, Principal>>>,
}

impl Keys {
    /// With the master key, if one is configured.
    pub fn new(master_key: Option<&str>) -> Self {
        Keys {
            master_hash: master_key.filter(|k| !k.is_empty()).map(|k| Sha256::digest(k.as_bytes()).into()),
            cache: Arc::default(),
        }
    }

    /// The principal behind a presented key, or `Unauthorized`. Blocking: call off the async
    /// workers.
    pub fn authenticate(&self, pool: &Pool, key: &str) -> Result<Principal, ServiceError> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(master) = &self.master_hash
            && bool::from(master.ct_eq(&digest))
        {
            return Ok(Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Admin });
        }
        let hash = hex::encode(digest);
        if let Some(p) = self.cache.read().get(&hash) {
            return Ok(p.clone());
        }
        let mut conn = pool.get().map_err(|_| ServiceError::Unavailable)?;
        let principal = lookup(&mut conn, &hash)?.ok_or(ServiceError::Unauthorized)?;
        self.cache.write().insert(hash, principal.clone());
        Ok(principal)
    }
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
