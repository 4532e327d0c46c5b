//! The audit log: every read of personal data and every change, with who (agency, key), role,
//! action, target and time. Rows are only ever added.

use super::auth::Principal;
use super::error::ServiceError;
use super::ids::{new_id, now};
use crate::store::models::AuditRow;
use crate::store::{DbConn, queries};

/// Writes one audit event.
pub fn audit(
    conn: &mut DbConn,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ServiceError> {
    queries::insert_audit(
        conn,
        &AuditRow {
            id: new_id(),
            at: now(),
            agency_id: who.agency_id.clone(),
            key_id: who.key_id.clone(),
            role: who.role.as_str().to_owned(),
            action: action.to_owned(),
            target: target.map(str::to_owned),
            detail,
        },
    )?;
    Ok(())
}
