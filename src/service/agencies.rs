//! Agencies and their keys.

use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Role, hash_key, new_key};
use crate::error::ApiError;
use crate::store::models::{AgencyRow, ApiKeyRow};
use crate::store::{DbConn, queries};

/// An agency as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agency {
    pub id: String,
    pub code: String,
    pub name: String,
}

impl From<AgencyRow> for Agency {
    fn from(r: AgencyRow) -> Self {
        Agency { id: r.id, code: r.code, name: r.name }
    }
}

/// A new key, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedKey {
    pub agency: Agency,
    /// The key itself: shown this once, stored only as a hash.
    pub api_key: String,
    pub role: String,
    /// Whether the agency was made now (false: a key was added to an existing one).
    #[serde(skip)]
    pub created: bool,
}

/// Makes an agency, or adds a key of `role` to the agency with that code.
pub fn create(conn: &mut DbConn, code: &str, name: &str, role: Role) -> Result<CreatedKey, ApiError> {
    use diesel::result::{DatabaseErrorKind, Error};
    match create_once(conn, code, name, role) {
        // Another request made the same new agency a moment ago: add the key to it.
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(create_once(conn, code, name, role)?),
        other => Ok(other?),
    }
}

fn create_once(conn: &mut DbConn, code: &str, name: &str, role: Role) -> Result<CreatedKey, diesel::result::Error> {
    use diesel::Connection;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    conn.transaction(|c| {
        let (agency, created) = match queries::agency_by_code(c, code)? {
            Some(a) => (a, false),
            None => {
                let a = AgencyRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    code: code.to_owned(),
                    name: name.to_owned(),
                    created_at: now.clone(),
                };
                queries::insert_agency(c, &a)?;
                (a, true)
            }
        };
        let key = new_key();
        queries::insert_key(
            c,
            &ApiKeyRow {
                id: uuid::Uuid::now_v7().to_string(),
                agency_id: agency.id.clone(),
                role: role.as_str().to_owned(),
                key_hash: hash_key(&key),
                created_at: now.clone(),
            },
        )?;
        Ok(CreatedKey { agency: agency.into(), api_key: key, role: role.as_str().to_owned(), created })
    })
}

/// Every agency.
pub fn list(conn: &mut DbConn) -> Result<Vec<Agency>, ApiError> {
    Ok(queries::list_agencies(conn)?.into_iter().map(Agency::from).collect())
}
