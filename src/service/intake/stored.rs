//! What intake and correction both store for a record: its answer as kept for replays, and its
//! row. One place, so that a posted record and a corrected one are stored alike.

use crate::service::domain::{Answer, FlagOut, NewRecord};
use crate::store::models::RecordRow;

/// The answer as stored (for replays): the evidence is left out, stored once with the flags
/// and put back when the answer is replayed.
pub(super) fn answer_json(answer: &Answer) -> Result<String, serde_json::Error> {
    let stored = Answer {
        flags: answer.flags.iter().map(|f| FlagOut { evidence: Vec::new(), ..f.clone() }).collect(),
        ..answer.clone()
    };
    serde_json::to_string(&stored)
}

/// Where a record's row belongs: its ids and when it was first posted.
pub(super) struct RecordPlace<'a> {
    pub id: &'a str,
    pub agency_id: &'a str,
    pub household_id: &'a str,
    pub created_at: &'a str,
}

/// A record's row: its content as validated, its stored answer and its body's hash.
pub(super) fn record_row(at: RecordPlace<'_>, record: &NewRecord, body_hash: String, answer: String) -> RecordRow {
    RecordRow {
        id: at.id.to_owned(),
        agency_id: at.agency_id.to_owned(),
        external_id: record.external_id.clone(),
        household_id: at.household_id.to_owned(),
        body_hash,
        answer,
        assistance_type: record.aid_type.as_str().to_owned(),
        program: record.program.clone(),
        amount: record.amount,
        currency: record.currency.clone(),
        period_start: record.period_start.to_string(),
        period_end: record.period_end.to_string(),
        governorate: record.governorate.clone(),
        locality: record.locality.clone(),
        created_at: at.created_at.to_owned(),
        governorate_code: record.governorate_code.clone(),
        locality_code: record.locality_code.clone(),
    }
}
