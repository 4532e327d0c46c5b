//! Households: the view a caseworker gets, with every agency's knowledge of the members, the
//! aid history and open flags. A submitter sees only households its agency serves, and other
//! agencies' aid as agency, type and period only. Every look-up is audited.

use serde::Serialize;
use utoipa::ToSchema;

use super::Services;
use super::auth::{Principal, Role};
use super::records::{StoredFlag, StoredMember};
use crate::error::ApiError;
use crate::store::models::AuditRow;
use crate::store::{DbConn, queries};

/// One member as one agency knows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnownMember {
    pub agency: String,
    pub record_id: String,
    #[serde(flatten)]
    pub member: StoredMember,
}

/// One entry of the aid history; a submitter sees only agency, type and period of others' aid.
#[derive(Debug, Serialize, ToSchema)]
pub struct AidEntry {
    pub agency: String,
    #[serde(rename = "type")]
    pub aid_type: String,
    pub period_start: String,
    pub period_end: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The household view.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub household_id: String,
    /// Set when the id asked for was merged into this household.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
    pub members: Vec<KnownMember>,
    pub aid_history: Vec<AidEntry>,
    pub open_flags: Vec<StoredFlag>,
}

/// Writes one audit event.
pub fn audit(
    conn: &mut DbConn,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ApiError> {
    queries::insert_audit(
        conn,
        &AuditRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
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

/// Looks a household up.
pub fn get(s: &Services, who: &Principal, id: &str) -> Result<HouseholdView, ApiError> {
    let resolved = s.engine.state.read().resolve(id).to_owned();
    let mut conn = s.conn()?;
    queries::household(&mut conn, &resolved)?.ok_or(ApiError::NotFound("household"))?;
    let records = queries::records_of_household(&mut conn, &resolved)?;
    let own = who.agency_id.as_deref();
    if who.role == Role::Submitter && !records.iter().any(|r| Some(r.agency_id.as_str()) == own) {
        return Err(ApiError::NotFound("household"));
    }
    audit(&mut conn, who, "household.view", Some(&resolved), None)?;
    let agency_ids: Vec<String> = records.iter().map(|r| r.agency_id.clone()).collect();
    let codes: std::collections::HashMap<String, String> =
        queries::agencies_by_ids(&mut conn, &agency_ids)?.into_iter().map(|a| (a.id, a.code)).collect();
    let full = who.role != Role::Submitter;
    let mut members = Vec::new();
    for p in queries::persons_of_household(&mut conn, &resolved)? {
        let Some(r) = records.iter().find(|r| r.id == p.record_id) else {
            continue;
        };
        if full || Some(r.agency_id.as_str()) == own {
            members.push(KnownMember {
                agency: codes.get(&r.agency_id).cloned().unwrap_or_default(),
                record_id: p.record_id.clone(),
                member: p.into(),
            });
        }
    }
    let aid_history = records
        .iter()
        .map(|r| {
            let visible = full || Some(r.agency_id.as_str()) == own;
            AidEntry {
                agency: codes.get(&r.agency_id).cloned().unwrap_or_default(),
                aid_type: r.assistance_type.clone(),
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                record_id: visible.then(|| r.id.clone()),
                program: if visible { r.program.clone() } else { None },
                amount: if visible { r.amount } else { None },
                currency: if visible { r.currency.clone() } else { None },
            }
        })
        .collect();
    let open_flags = queries::open_flags_of_household(&mut conn, &resolved)?
        .into_iter()
        .filter(|f| full || records.iter().any(|r| r.id == f.record_id && Some(r.agency_id.as_str()) == own))
        .map(|f| StoredFlag::from(f).redacted_for(who))
        .collect();
    Ok(HouseholdView {
        merged_from: (resolved != id).then(|| id.to_owned()),
        household_id: resolved,
        members,
        aid_history,
        open_flags,
    })
}
