//! The statements. Each takes a connection; writes that belong together are grouped by the
//! caller inside one transaction.

use diesel::dsl::max;
use diesel::prelude::*;

use super::DbConn;
use super::models::*;
use super::schema::*;

type QResult<T> = Result<T, diesel::result::Error>;

// ---- agencies and keys ----

/// The agency with this code, if any.
pub fn agency_by_code(conn: &mut DbConn, code: &str) -> QResult<Option<AgencyRow>> {
    agencies::table.filter(agencies::code.eq(code)).select(AgencyRow::as_select()).first(conn).optional()
}

/// Every agency, by code.
pub fn list_agencies(conn: &mut DbConn) -> QResult<Vec<AgencyRow>> {
    agencies::table.order(agencies::code.asc()).select(AgencyRow::as_select()).load(conn)
}

/// Stores a new agency.
pub fn insert_agency(conn: &mut DbConn, row: &AgencyRow) -> QResult<()> {
    diesel::insert_into(agencies::table).values(row).execute(conn).map(drop)
}

/// Stores a new key (its hash only).
pub fn insert_key(conn: &mut DbConn, row: &ApiKeyRow) -> QResult<()> {
    diesel::insert_into(api_keys::table).values(row).execute(conn).map(drop)
}

/// The key with this hash and its agency.
pub fn key_by_hash(conn: &mut DbConn, hash: &str) -> QResult<Option<(ApiKeyRow, AgencyRow)>> {
    api_keys::table
        .inner_join(agencies::table)
        .filter(api_keys::key_hash.eq(hash))
        .select((ApiKeyRow::as_select(), AgencyRow::as_select()))
        .first(conn)
        .optional()
}

/// Where a scoped caller may look: records whose governorate or locality code is listed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScopeCodes {
    pub governorates: Vec<String>,
    pub localities: Vec<String>,
}

/// Every key with its agency, newest first.
pub fn list_keys(conn: &mut DbConn) -> QResult<Vec<(ApiKeyRow, AgencyRow)>> {
    api_keys::table
        .inner_join(agencies::table)
        .order(api_keys::created_at.desc())
        .select((ApiKeyRow::as_select(), AgencyRow::as_select()))
        .load(conn)
}

/// A key by id, with its agency.
pub fn key_by_id(conn: &mut DbConn, id: &str) -> QResult<Option<(ApiKeyRow, AgencyRow)>> {
    api_keys::table
        .inner_join(agencies::table)
        .filter(api_keys::id.eq(id))
        .select((ApiKeyRow::as_select(), AgencyRow::as_select()))
        .first(conn)
        .optional()
}

/// Marks a key revoked (once: the first time stays).
pub fn revoke_key(conn: &mut DbConn, id: &str, at: &str) -> QResult<()> {
    diesel::update(api_keys::table.filter(api_keys::id.eq(id)).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(at))
        .execute(conn)
        .map(drop)
}

/// Sets when a key stops working.
pub fn set_key_expiry(conn: &mut DbConn, id: &str, expires_at: &str) -> QResult<()> {
    diesel::update(api_keys::table.find(id)).set(api_keys::expires_at.eq(expires_at)).execute(conn).map(drop)
}

/// Writes when keys were last used (key id, when).
pub fn set_keys_used(conn: &mut DbConn, used: &[(String, String)]) -> QResult<()> {
    for (id, at) in used {
        diesel::update(api_keys::table.find(id)).set(api_keys::last_used_at.eq(at)).execute(conn)?;
    }
    Ok(())
}

/// Keys by ids (for naming them in the audit log).
pub fn keys_by_ids(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<ApiKeyRow>> {
    api_keys::table.filter(api_keys::id.eq_any(ids)).select(ApiKeyRow::as_select()).load(conn)
}

// ---- users and their sessions ----

/// Stores a new user.
pub fn insert_user(conn: &mut DbConn, row: &UserRow) -> QResult<()> {
    diesel::insert_into(users::table).values(row).execute(conn).map(drop)
}

/// Every user with their agency, by username.
pub fn list_users(conn: &mut DbConn) -> QResult<Vec<(UserRow, AgencyRow)>> {
    users::table
        .inner_join(agencies::table)
        .order(users::username.asc())
        .select((UserRow::as_select(), AgencyRow::as_select()))
        .load(conn)
}

/// A user by id, with their agency.
pub fn user_by_id(conn: &mut DbConn, id: &str) -> QResult<Option<(UserRow, AgencyRow)>> {
    users::table
        .inner_join(agencies::table)
        .filter(users::id.eq(id))
        .select((UserRow::as_select(), AgencyRow::as_select()))
        .first(conn)
        .optional()
}

/// A user by username, with their agency.
pub fn user_by_name(conn: &mut DbConn, username: &str) -> QResult<Option<(UserRow, AgencyRow)>> {
    users::table
        .inner_join(agencies::table)
        .filter(users::username.eq(username))
        .select((UserRow::as_select(), AgencyRow::as_select()))
        .first(conn)
        .optional()
}

/// Users by ids (for naming them in the audit log).
pub fn users_by_ids(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<UserRow>> {
    users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)
}

/// A user's role, scope and whether disabled, as changed.
pub fn update_user(conn: &mut DbConn, id: &str, role: &str, scope: Option<&str>, disabled: bool) -> QResult<()> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::scope.eq(scope), users::disabled.eq(i32::from(disabled))))
        .execute(conn)
        .map(drop)
}

/// A user's new password hash.
pub fn set_password(conn: &mut DbConn, id: &str, hash: &str, at: &str) -> QResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::password_changed_at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// Stores a new page session.
pub fn insert_session(conn: &mut DbConn, row: &UserSessionRow) -> QResult<()> {
    diesel::insert_into(user_sessions::table).values(row).execute(conn).map(drop)
}

/// A session by the hash of its id, with its user and the user's agency.
pub fn session_by_hash(conn: &mut DbConn, id_hash: &str) -> QResult<Option<(UserSessionRow, UserRow, AgencyRow)>> {
    user_sessions::table
        .inner_join(users::table.inner_join(agencies::table))
        .filter(user_sessions::id_hash.eq(id_hash))
        .select((UserSessionRow::as_select(), UserRow::as_select(), AgencyRow::as_select()))
        .first(conn)
        .optional()
}

/// Marks a session used.
pub fn touch_session(conn: &mut DbConn, id_hash: &str, at: &str) -> QResult<()> {
    diesel::update(user_sessions::table.find(id_hash)).set(user_sessions::used_at.eq(at)).execute(conn).map(drop)
}

/// Ends a session.
pub fn delete_session(conn: &mut DbConn, id_hash: &str) -> QResult<()> {
    diesel::delete(user_sessions::table.find(id_hash)).execute(conn).map(drop)
}

/// Ends every session of a user.
pub fn delete_sessions_of(conn: &mut DbConn, user_id: &str) -> QResult<()> {
    diesel::delete(user_sessions::table.filter(user_sessions::user_id.eq(user_id))).execute(conn).map(drop)
}

/// Ends the sessions last used before `before` (expired).
pub fn delete_sessions_before(conn: &mut DbConn, before: &str) -> QResult<()> {
    diesel::delete(user_sessions::table.filter(user_sessions::used_at.lt(before))).execute(conn).map(drop)
}

// ---- records ----

/// A record by id.
pub fn record(conn: &mut DbConn, id: &str) -> QResult<Option<RecordRow>> {
    records::table.find(id).select(RecordRow::as_select()).first(conn).optional()
}

/// The members one record gave, in order.
pub fn persons_of_record(conn: &mut DbConn, record_id: &str) -> QResult<Vec<PersonRow>> {
    persons::table
        .filter(persons::record_id.eq(record_id))
        .order(persons::position.asc())
        .select(PersonRow::as_select())
        .load(conn)
}

/// The flags raised on one record.
pub fn flags_of_record(conn: &mut DbConn, record_id: &str) -> QResult<Vec<FlagRow>> {
    let rows = flags::table
        .filter(flags::record_id.eq(record_id))
        .order(flags::id.asc())
        .select(FlagRow::as_select())
        .load(conn)?;
    with_evidence(conn, rows)
}

/// Fills in the evidence of flags that share a match's evidence.
fn with_evidence(conn: &mut DbConn, mut rows: Vec<FlagRow>) -> QResult<Vec<FlagRow>> {
    let mut ids: Vec<String> = rows.iter().filter_map(|f| f.evidence_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(rows);
    }
    let mut bodies = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<EvidenceRow> = match_evidence::table
            .filter(match_evidence::id.eq_any(chunk))
            .select(EvidenceRow::as_select())
            .load(conn)?;
        bodies.extend(found.into_iter().map(|e| (e.id, e.body)));
    }
    for f in &mut rows {
        if let Some(body) = f.evidence_id.as_ref().and_then(|id| bodies.get(id)) {
            f.evidence.clone_from(body);
        }
    }
    Ok(rows)
}

/// Fewest rows of one table written through `COPY` on PostgreSQL (see [`insert_rows`]): under
/// it, one multi-row `INSERT` of at most 63 × 17 bind parameters (the widest table written so).
#[cfg(feature = "postgres")]
const COPY_FROM: usize = 64;

/// Inserts rows into a table in few statements. Multi-row inserts are
/// backend-specific in diesel, so the connection is matched here. The row types written so
/// insert `None` as NULL (`treat_none_as_default_value = false`; none of their columns has a
/// default): diesel then writes many rows as one statement on SQLite too, where rows whose
/// `None` meant DEFAULT were written one statement each inside a savepoint of their own (whose
/// rollback, when SQLite had already rolled the transaction back on `SQLITE_FULL`, failed with
/// an error that hid the cause).
///
/// On SQLite the rows go in statements of a few fixed sizes (256, 32, 4, 1 rows; 256 × 17
/// bind parameters are under its limit of 32,766): diesel keeps
/// a prepared multi-row insert of an array, never of a slice, whose text changes with its
/// length, and preparing each statement anew was a twentieth of the writer's time in a batch
/// and more of a small transaction's.
///
/// On PostgreSQL, a table's rows of a transaction go in one statement (a statement there is a
/// round trip): from [`COPY_FROM`] rows on, one `COPY … FROM STDIN` in the binary format
/// (diesel's `copy_from`: no bind limit, no statement text of thousands of placeholders to
/// parse and plan, the values sent in their binary form), under it one multi-row `INSERT`
/// (the `COPY` costs a round trip of its own to start).
macro_rules! insert_rows {
    (@fixed $c:expr, $table:expr, $rest:expr, $n:literal) => {{
        let (head, tail) = $rest.split_at($n);
        let head: &[_; $n] = head.try_into().expect("split at its size");
        diesel::insert_into($table).values(head).execute($c)?;
        tail
    }};
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows: &[_] = &$rows[..];
        match &mut *$conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => {
                let mut rest = rows;
                while !rest.is_empty() {
                    rest = match rest.len() {
                        256.. => insert_rows!(@fixed c, $table, rest, 256),
                        32.. => insert_rows!(@fixed c, $table, rest, 32),
                        4.. => insert_rows!(@fixed c, $table, rest, 4),
                        _ => insert_rows!(@fixed c, $table, rest, 1),
                    };
                }
            }
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) if rows.len() >= COPY_FROM => {
                diesel::copy_from($table).from_insertable(rows).execute(c)?;
            }
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => {
                if !rows.is_empty() {
                    diesel::insert_into($table).values(rows).execute(c)?;
                }
            }
        }
    }};
}

/// Stores the evidence of matches, once each.
pub fn insert_evidence(conn: &mut DbConn, rows: &[EvidenceRow]) -> QResult<()> {
    insert_rows!(conn, match_evidence::table, rows);
    Ok(())
}

/// Stores flags.
pub fn insert_flags(conn: &mut DbConn, rows: &[FlagRow]) -> QResult<()> {
    insert_rows!(conn, flags::table, rows);
    Ok(())
}

/// The rows of new records (their new households, members, groups, evidence, flags and the
/// audit events of their creation), as intake writes them: several records' at once, one
/// statement per table.
#[derive(Debug, Default)]
pub struct NewRows {
    pub households: Vec<HouseholdRow>,
    pub records: Vec<RecordRow>,
    pub persons: Vec<PersonRow>,
    pub groups: Vec<RecordGroupRow>,
    pub evidence: Vec<EvidenceRow>,
    pub flags: Vec<FlagRow>,
    pub audits: Vec<AuditRow>,
}

/// Stores new records' rows, a few statements per table (see [`insert_rows`]: on PostgreSQL
/// one, a `COPY` for many rows), in the order their references need: households, records,
/// members, groups, evidence, flags, audit events. On PostgreSQL a transaction of a few records
/// (no table with [`COPY_FROM`] rows or more, as a single post's) goes in one statement
/// instead, every table's rows unnested from arrays (`super::unnest`): one round trip where a
/// statement per table cost seven.
pub fn insert_new_rows(conn: &mut DbConn, rows: &NewRows) -> QResult<()> {
    #[cfg(feature = "postgres")]
    if let DbConn::Pg(c) = &mut *conn {
        let tables = [
            rows.households.len(),
            rows.records.len(),
            rows.persons.len(),
            rows.groups.len(),
            rows.evidence.len(),
            rows.flags.len(),
            rows.audits.len(),
        ];
        if tables.iter().all(|&n| n < COPY_FROM) {
            return super::unnest::AllRows::new(rows).insert(c);
        }
    }
    insert_rows!(conn, households::table, &rows.households);
    insert_rows!(conn, records::table, &rows.records);
    insert_rows!(conn, persons::table, &rows.persons);
    insert_rows!(conn, record_groups::table, &rows.groups);
    insert_rows!(conn, match_evidence::table, &rows.evidence);
    insert_rows!(conn, flags::table, &rows.flags);
    insert_rows!(conn, audit_events::table, &rows.audits);
    Ok(())
}

/// The records stored under any of these references (agency id, external id): one statement
/// for a transaction's worth of items, where intake looked each one up alone; on PostgreSQL one
/// for every agency's (a round trip per agency cost seven a transaction under single posts from
/// eight agencies).
///
/// On PostgreSQL, one probe of the unique index `(agency_id, external_id)` per reference,
/// written so that no other plan is open: each reference's probe is a subquery of its own
/// (`LATERAL … LIMIT 1`) whose agency and external id both come from the reference, so the
/// planner sees no agency's value. `external_id = ANY($2)` for one agency was planned (a
/// generic plan, kept by the writer's connection, made while the table was small) as a scan of
/// every record of the agency through `records_agency_created`, 20 ms a transaction after
/// 10,000 records and growing; and with the agency's value seen and statistics gathered before
/// its records came (`service::stats` analyses the tables as they grow), the planner took that
/// agency's records to be one or two and walked them all through `records_agency_created` for
/// each reference, 0.4-5 s a transaction at 250,000 records (auto_explain). SQLite takes the
/// unique index for `agency_id = ? AND external_id IN (…)`, a statement per agency.
pub fn records_by_external(conn: &mut DbConn, references: &[(&str, &str)]) -> QResult<Vec<RecordRow>> {
    let mut out = Vec::new();
    match &mut *conn {
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            use diesel::sql_types::{Array, Text};
            for chunk in references.chunks(500) {
                let (agencies, ids): (Vec<&str>, Vec<&str>) = chunk.iter().copied().unzip();
                out.extend(
                    diesel::sql_query(
                        "SELECT r.* FROM unnest($1, $2) AS e (agency_id, external_id) CROSS JOIN LATERAL \
                         (SELECT * FROM records WHERE agency_id = e.agency_id AND external_id = e.external_id LIMIT 1) r",
                    )
                    .bind::<Array<Text>, _>(agencies)
                    .bind::<Array<Text>, _>(ids)
                    .load::<RecordRow>(c)?,
                );
            }
        }
        // Each agency's ids as one JSON array: one statement, kept prepared, whatever their
        // number (`eq_any` writes one `?` per id, a statement of its own each time).
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            let mut by_agency: Vec<(&str, Vec<&str>)> = Vec::new();
            for &(agency, id) in references {
                match by_agency.iter_mut().find(|(a, _)| *a == agency) {
                    Some((_, ids)) => ids.push(id),
                    None => by_agency.push((agency, vec![id])),
                }
            }
            for (agency, ids) in by_agency {
                for chunk in ids.chunks(500) {
                    out.extend(
                        super::Kept::new(
                            "SELECT * FROM records WHERE agency_id = ? \
                             AND external_id IN (SELECT value FROM json_each(?))",
                            [
                                agency,
                                &serde_json::to_string(chunk)
                                    .map_err(|e| diesel::result::Error::SerializationError(e.into()))?,
                            ],
                        )
                        .load::<RecordRow>(c)?,
                    );
                }
            }
        }
    }
    Ok(out)
}

// ---- the life of a record: corrections, withdrawals, versions, export ----

/// Where a record stands: its version and withdrawal.
pub fn record_life(conn: &mut DbConn, id: &str) -> QResult<Option<RecordLife>> {
    records::table.find(id).select(RecordLife::as_select()).first(conn).optional()
}

/// Marks a record withdrawn (its reason sealed by the caller).
pub fn set_withdrawn(conn: &mut DbConn, id: &str, at: &str, reason: &str) -> QResult<()> {
    diesel::update(records::table.find(id))
        .set((records::withdrawn_at.eq(at), records::withdrawn_reason.eq(reason)))
        .execute(conn)
        .map(drop)
}

/// Replaces a record's content with its corrected version (same id, agency and external id).
pub fn set_record_content(conn: &mut DbConn, row: &RecordRow, version: i32) -> QResult<()> {
    diesel::update(records::table.find(&row.id))
        .set((
            records::household_id.eq(&row.household_id),
            records::body_hash.eq(&row.body_hash),
            records::answer.eq(&row.answer),
            records::assistance_type.eq(&row.assistance_type),
            records::program.eq(&row.program),
            records::amount.eq(row.amount),
            records::currency.eq(&row.currency),
            records::period_start.eq(&row.period_start),
            records::period_end.eq(&row.period_end),
            records::governorate.eq(&row.governorate),
            records::locality.eq(&row.locality),
            records::governorate_code.eq(&row.governorate_code),
            records::locality_code.eq(&row.locality_code),
            records::version.eq(version),
        ))
        .execute(conn)
        .map(drop)
}

/// Keeps a record's earlier version.
pub fn insert_record_version(conn: &mut DbConn, row: &RecordVersionRow) -> QResult<()> {
    diesel::insert_into(record_versions::table).values(row).execute(conn).map(drop)
}

/// A record's earlier versions, oldest first.
pub fn record_versions(conn: &mut DbConn, record_id: &str) -> QResult<Vec<RecordVersionRow>> {
    record_versions::table
        .filter(record_versions::record_id.eq(record_id))
        .order((record_versions::version.asc(), record_versions::at.asc(), record_versions::id.asc()))
        .select(RecordVersionRow::as_select())
        .load(conn)
}

/// Removes the members a record gave (a correction gives them again).
pub fn delete_persons_of_record(conn: &mut DbConn, record_id: &str) -> QResult<()> {
    diesel::delete(persons::table.filter(persons::record_id.eq(record_id))).execute(conn).map(drop)
}

/// Whether a household holds records other than `record_id`.
pub fn household_has_others(conn: &mut DbConn, household_id: &str, record_id: &str) -> QResult<bool> {
    diesel::select(diesel::dsl::exists(
        records::table.filter(records::household_id.eq(household_id)).filter(records::id.ne(record_id)),
    ))
    .get_result(conn)
}

/// Open flags raised by a record, or naming it as the record overlapped.
pub fn open_flags_touching(conn: &mut DbConn, record_id: &str) -> QResult<Vec<FlagRow>> {
    flags::table
        .filter(flags::status.eq("open"))
        .filter(flags::record_id.eq(record_id).or(flags::matched_record_id.eq(record_id)))
        .order(flags::id.asc())
        .select(FlagRow::as_select())
        .load(conn)
}

/// Sets the status of many flags.
pub fn set_flags_status(conn: &mut DbConn, ids: &[String], status: &str) -> QResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(flags::table.filter(flags::id.eq_any(chunk))).set(flags::status.eq(status)).execute(conn)?;
    }
    Ok(())
}

/// Refreshes an open flag that a correction still supports with what matching says now.
pub fn refresh_flag(conn: &mut DbConn, row: &FlagRow) -> QResult<()> {
    diesel::update(flags::table.find(&row.id))
        .set((
            flags::household_id.eq(&row.household_id),
            flags::band.eq(&row.band),
            flags::score.eq(row.score),
            flags::matched_record_id.eq(&row.matched_record_id),
            flags::overlap_type.eq(&row.overlap_type),
            flags::overlap_from.eq(&row.overlap_from),
            flags::overlap_to.eq(&row.overlap_to),
            flags::matched_records.eq(row.matched_records),
            flags::evidence_id.eq(&row.evidence_id),
        ))
        .execute(conn)
        .map(drop)
}

/// An agency's records whose period meets `[from, to]`, in the order they were stored, after
/// the record `after`, at most `limit`; with each one's version and withdrawal.
pub fn agency_records(
    conn: &mut DbConn,
    agency_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QResult<Vec<(RecordRow, RecordLife)>> {
    let mut q = records::table.filter(records::agency_id.eq(agency_id)).into_boxed();
    if let Some(from) = from {
        q = q.filter(records::period_end.ge(from.to_owned()));
    }
    if let Some(to) = to {
        q = q.filter(records::period_start.le(to.to_owned()));
    }
    if let Some(a) = after {
        let at: Option<String> = records::table.find(a).select(records::created_at).first(conn).optional()?;
        let at = at.unwrap_or_default();
        q = q.filter(
            records::created_at.gt(at.clone()).or(records::created_at.eq(at).and(records::id.gt(a.to_owned()))),
        );
    }
    q.order((records::created_at.asc(), records::id.asc()))
        .limit(limit)
        .select((RecordRow::as_select(), RecordLife::as_select()))
        .load(conn)
}

/// The members of many records, in record and position order.
pub fn persons_of_records(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<PersonRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            persons::table
                .filter(persons::record_id.eq_any(chunk))
                .order((persons::record_id.asc(), persons::position.asc()))
                .select(PersonRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Moves records, their members, the flags they raised and the flags naming them to another
/// household (a split).
pub fn move_records(conn: &mut DbConn, ids: &[String], household_id: &str) -> QResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(records::table.filter(records::id.eq_any(chunk)))
            .set(records::household_id.eq(household_id))
            .execute(conn)?;
        diesel::update(persons::table.filter(persons::record_id.eq_any(chunk)))
            .set(persons::household_id.eq(household_id))
            .execute(conn)?;
        diesel::update(flags::table.filter(flags::record_id.eq_any(chunk)))
            .set(flags::household_id.eq(household_id))
            .execute(conn)?;
        diesel::update(flags::table.filter(flags::matched_record_id.eq_any(chunk)))
            .set(flags::matched_household_id.eq(household_id))
            .execute(conn)?;
    }
    Ok(())
}

/// Every record of a household (ids), merged ones' included.
pub fn record_ids_of_household(conn: &mut DbConn, household_id: &str) -> QResult<Vec<String>> {
    records::table
        .filter(records::household_id.eq(household_id))
        .select(records::id)
        .order(records::id.asc())
        .load(conn)
}

/// Open flags raised by these records or naming them.
pub fn open_flags_of_records(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<FlagRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            flags::table
                .filter(flags::status.eq("open"))
                .filter(flags::record_id.eq_any(chunk).or(flags::matched_record_id.eq_any(chunk)))
                .select(FlagRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

// ---- alerts and webhooks ----

/// Alerts of an agency: overlap flags raised by other agencies' records against its records,
/// oldest first, after the flag `after`.
pub fn alerts(conn: &mut DbConn, agency_id: &str, after: Option<&str>, limit: i64) -> QResult<Vec<FlagRow>> {
    let mut q = flags::table
        .filter(flags::matched_agency_id.eq(agency_id))
        .filter(flags::kind.eq("overlapping_aid"))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(flags::id.gt(a.to_owned()));
    }
    q.order(flags::id.asc()).limit(limit).select(FlagRow::as_select()).load(conn)
}

/// Stores a webhook.
pub fn insert_webhook(conn: &mut DbConn, row: &WebhookRow) -> QResult<()> {
    diesel::insert_into(webhooks::table).values(row).execute(conn).map(drop)
}

/// A webhook by id (none once deleted).
pub fn webhook(conn: &mut DbConn, id: &str) -> QResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .filter(webhooks::deleted_at.is_null())
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Every webhook not deleted (of one agency, when given), oldest first.
pub fn webhooks_of(conn: &mut DbConn, agency_id: Option<&str>) -> QResult<Vec<WebhookRow>> {
    let mut q = webhooks::table.filter(webhooks::deleted_at.is_null()).into_boxed();
    if let Some(a) = agency_id {
        q = q.filter(webhooks::agency_id.eq(a.to_owned()));
    }
    q.order(webhooks::id.asc()).select(WebhookRow::as_select()).load(conn)
}

/// Every webhook not deleted, oldest first.
pub fn all_webhooks(conn: &mut DbConn) -> QResult<Vec<WebhookRow>> {
    webhooks_of(conn, None)
}

/// Marks a webhook deleted; whether it was there.
pub fn delete_webhook(conn: &mut DbConn, id: &str, at: &str) -> QResult<bool> {
    let n = diesel::update(webhooks::table.find(id).filter(webhooks::deleted_at.is_null()))
        .set(webhooks::deleted_at.eq(at))
        .execute(conn)?;
    Ok(n > 0)
}

/// Copies alerts into a webhook's outbox and moves its watermark, together.
pub fn enqueue(conn: &mut DbConn, webhook_id: &str, rows: &[OutboxRow], through: &str) -> QResult<()> {
    conn.transaction(|c| {
        for r in rows {
            diesel::insert_into(webhook_outbox::table).values(r).execute(c)?;
        }
        diesel::update(webhooks::table.find(webhook_id)).set(webhooks::enqueued_through.eq(through)).execute(c)?;
        Ok(())
    })
}

/// The oldest alert a webhook has not had delivered.
pub fn outbox_head(conn: &mut DbConn, webhook_id: &str) -> QResult<Option<OutboxRow>> {
    webhook_outbox::table
        .filter(webhook_outbox::webhook_id.eq(webhook_id))
        .filter(webhook_outbox::delivered_at.is_null())
        .order(webhook_outbox::id.asc())
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// Keeps an attempt, and what it did to the outbox row (delivered, or when to try again).
pub fn record_attempt(
    conn: &mut DbConn,
    attempt: &DeliveryRow,
    delivered_at: Option<&str>,
    next_attempt_at: &str,
) -> QResult<()> {
    conn.transaction(|c| {
        diesel::insert_into(webhook_deliveries::table).values(attempt).execute(c)?;
        diesel::update(webhook_outbox::table.find(&attempt.outbox_id))
            .set((
                webhook_outbox::attempts.eq(attempt.attempt),
                webhook_outbox::delivered_at.eq(delivered_at),
                webhook_outbox::next_attempt_at.eq(next_attempt_at),
            ))
            .execute(c)?;
        Ok(())
    })
}

/// A webhook's delivery attempts, oldest first, after the attempt `after`.
pub fn deliveries(conn: &mut DbConn, webhook_id: &str, after: Option<&str>, limit: i64) -> QResult<Vec<DeliveryRow>> {
    let mut q = webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(webhook_id)).into_boxed();
    if let Some(a) = after {
        q = q.filter(webhook_deliveries::id.gt(a.to_owned()));
    }
    q.order(webhook_deliveries::id.asc()).limit(limit).select(DeliveryRow::as_select()).load(conn)
}

// ---- erasure ----

/// A person row by id.
pub fn person(conn: &mut DbConn, id: i64) -> QResult<Option<PersonRow>> {
    persons::table.find(id).select(PersonRow::as_select()).first(conn).optional()
}

/// The person rows of these households whose national ID has this keyed hash, read through
/// the households' index (`persons_household`): the hash has no index of its own (at a million
/// people its random keys made every insert dirty a page; the engine finds the households, see
/// `EngineState::households_with_national_id`), so the households must be given.
pub fn persons_with_national_id_hash(conn: &mut DbConn, households: &[String], hash: &str) -> QResult<Vec<PersonRow>> {
    let mut out = Vec::new();
    for chunk in households.chunks(500) {
        out.extend(
            persons::table
                .filter(persons::household_id.eq_any(chunk))
                .filter(persons::national_id_hash.eq(hash))
                .order(persons::id.asc())
                .select(PersonRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Removes a person row's name, national ID, phone and birth date (and their look-up hashes),
/// and the groups marked on the person (protection cases among them); the household's groups
/// stay counted in `record_groups` for coverage.
pub fn erase_person(conn: &mut DbConn, id: i64) -> QResult<()> {
    diesel::update(persons::table.find(id))
        .set((
            persons::name.eq(""),
            persons::groups.eq(None::<String>),
            persons::national_id.eq(None::<String>),
            persons::national_id_hash.eq(None::<String>),
            persons::phone.eq(None::<String>),
            persons::phone_hash.eq(None::<String>),
            persons::date_of_birth.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Flags raised by these records, or naming one of these households on either side, any status.
pub fn flags_touching(conn: &mut DbConn, records: &[String], households: &[String]) -> QResult<Vec<FlagRow>> {
    let mut out: Vec<FlagRow> = Vec::new();
    for chunk in records.chunks(500) {
        out.extend(flags::table.filter(flags::record_id.eq_any(chunk)).select(FlagRow::as_select()).load(conn)?);
    }
    for chunk in households.chunks(500) {
        out.extend(
            flags::table
                .filter(flags::household_id.eq_any(chunk).or(flags::matched_household_id.eq_any(chunk)))
                .select(FlagRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// Stored evidence bodies by id.
pub fn evidence_bodies(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<EvidenceRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            match_evidence::table
                .filter(match_evidence::id.eq_any(chunk))
                .select(EvidenceRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// On SQLite, moves what the write-ahead log holds into the database file and empties it, so no
/// old copy of a page stays there.
pub fn checkpoint(conn: &mut DbConn) -> QResult<()> {
    if conn.backend() == super::Backend::Sqlite {
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(conn)?;
    }
    Ok(())
}

/// What a checkpoint did, in frames (pages) of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct WalFrames {
    /// 1 when it could not finish (a reader still in the log, another checkpoint under way).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub busy: i32,
    /// Frames in the log.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub log: i32,
    /// Frames of the log now in the database file.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub checkpointed: i32,
}

/// The file SQLite holds the main database in, as it opened it (a `file:` URI's path, a
/// relative path made whole); `None` on PostgreSQL or for a database in memory.
pub fn database_file(conn: &mut DbConn) -> QResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    if conn.backend() != super::Backend::Sqlite {
        return Ok(None);
    }
    let list = diesel::sql_query("PRAGMA database_list").load::<Database>(conn)?;
    Ok(list.into_iter().find(|d| d.name == "main").map(|d| d.file).filter(|f| !f.is_empty()))
}

/// A table of the connection's schema, as PostgreSQL's statistics count it: live rows, and rows
/// inserted, updated or deleted since it was last analysed (by anyone: autovacuum too).
#[derive(Debug, QueryableByName)]
pub struct TableChanges {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub live: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub changed: i64,
}

/// PostgreSQL: the tables of the connection's schema and their rows changed since their last
/// `ANALYZE`; none on SQLite.
pub fn table_changes(conn: &mut DbConn) -> QResult<Vec<TableChanges>> {
    if conn.backend() != super::Backend::Postgres {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT relname::text AS name, n_live_tup AS live, n_mod_since_analyze AS changed \
         FROM pg_stat_user_tables WHERE schemaname = current_schema()",
    )
    .load(conn)
}

/// PostgreSQL: gathers a table's statistics for the planner (`ANALYZE`).
pub fn analyze(conn: &mut DbConn, table: &str) -> QResult<()> {
    diesel::sql_query(format!("ANALYZE \"{}\"", table.replace('"', "\"\""))).execute(conn).map(drop)
}

/// SQLite's page size, in bytes.
pub fn page_size(conn: &mut DbConn) -> QResult<i64> {
    #[derive(QueryableByName)]
    struct PageSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        page_size: i64,
    }
    Ok(diesel::sql_query("PRAGMA page_size").get_result::<PageSize>(conn)?.page_size)
}

/// On SQLite, copies what it can of the write-ahead log into the database file, waiting for
/// no writer or reader (`PRAGMA wal_checkpoint(PASSIVE)`; see `service::wal`); `None` on
/// PostgreSQL, which has no such log to keep.
pub fn wal_checkpoint(conn: &mut DbConn) -> QResult<Option<WalFrames>> {
    if conn.backend() != super::Backend::Sqlite {
        return Ok(None);
    }
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<WalFrames>(conn).map(Some)
}

// ---- households ----

/// Stores a new household.
pub fn insert_household(conn: &mut DbConn, row: &HouseholdRow) -> QResult<()> {
    diesel::insert_into(households::table).values(row).execute(conn).map(drop)
}

/// A household by id (merged ones too; see `merged_into`).
pub fn household(conn: &mut DbConn, id: &str) -> QResult<Option<HouseholdRow>> {
    households::table.find(id).select(HouseholdRow::as_select()).first(conn).optional()
}

/// Every household, merged or not: (id, seq, merged_into).
pub fn all_households(conn: &mut DbConn) -> QResult<Vec<(String, i64, Option<String>)>> {
    households::table.select((households::id, households::seq, households::merged_into)).load(conn)
}

/// The highest household seq and person id handed out so far.
pub fn max_ids(conn: &mut DbConn) -> QResult<(i64, i64)> {
    let h: Option<i64> = households::table.select(max(households::seq)).first(conn)?;
    let p: Option<i64> = persons::table.select(max(persons::id)).first(conn)?;
    Ok((h.unwrap_or(0), p.unwrap_or(0)))
}

/// Every stored person with the code of the agency that posted it, for rebuilding the index, in
/// pages of `limit` after `after`.
pub fn persons_page(conn: &mut DbConn, after: i64, limit: i64) -> QResult<Vec<(PersonRow, String)>> {
    persons::table
        .inner_join(records::table.inner_join(agencies::table))
        .filter(persons::id.gt(after))
        .order(persons::id.asc())
        .limit(limit)
        .select((PersonRow::as_select(), agencies::code))
        .load(conn)
}

/// A page of persons as the matching index is built from them at start, after `after`, in id
/// order: only the columns matching reads, and the record that listed each.
pub fn persons_for_index(conn: &mut DbConn, after: i64, limit: i64) -> QResult<Vec<IndexPersonRow>> {
    // The persons' own columns alone: each record's agency comes from the records' pass
    // (`records_for_index`). Joined here, every person cost a probe of the records' key: at
    // 1.6 M people a page took PostgreSQL 134 ms on three processes instead of 25 ms on one.
    persons::table
        .filter(persons::id.gt(after))
        .order(persons::id.asc())
        .limit(limit)
        .select(IndexPersonRow::as_select())
        .load(conn)
}

/// A page of every record (withdrawn ones too: their persons keep their agency) in the order
/// they were stored, after `(created_at, id)`, each with whether it was withdrawn.
pub fn records_for_index(
    conn: &mut DbConn,
    after: Option<&(String, String)>,
    limit: i64,
) -> QResult<Vec<(AidRow, bool)>> {
    let mut q = records::table.select((AidRow::as_select(), records::withdrawn_at.is_not_null())).into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            records::created_at.gt(at.clone()).or(records::created_at.eq(at.clone()).and(records::id.gt(id.clone()))),
        );
    }
    q.order((records::created_at.asc(), records::id.asc())).limit(limit).load(conn)
}

/// A household's most recent records (latest period first), at most `limit`, and how many it
/// has in all.
pub fn records_of_household(conn: &mut DbConn, household_id: &str, limit: i64) -> QResult<(Vec<RecordBrief>, i64)> {
    let rows = records::table
        .filter(records::household_id.eq(household_id))
        .order((records::period_start.desc(), records::id.desc()))
        .limit(limit)
        .select(RecordBrief::as_select())
        .load(conn)?;
    let total = if (rows.len() as i64) < limit {
        rows.len() as i64
    } else {
        records::table.filter(records::household_id.eq(household_id)).count().get_result(conn)?
    };
    Ok((rows, total))
}

/// Whether an agency has a record in a household.
pub fn agency_serves(conn: &mut DbConn, household_id: &str, agency_id: &str) -> QResult<bool> {
    diesel::select(diesel::dsl::exists(
        records::table.filter(records::household_id.eq(household_id)).filter(records::agency_id.eq(agency_id)),
    ))
    .get_result(conn)
}

/// The members of a household as records gave them (of `agency`'s records only, when given),
/// latest records first, at most `limit`, each with the agency that posted it; and how many
/// there are in all.
pub fn members_of_household(
    conn: &mut DbConn,
    household_id: &str,
    agency: Option<&str>,
    limit: i64,
) -> QResult<(Vec<(PersonRow, String)>, i64)> {
    let base = || {
        let mut q =
            persons::table.inner_join(records::table).filter(persons::household_id.eq(household_id)).into_boxed();
        if let Some(a) = agency {
            q = q.filter(records::agency_id.eq(a.to_owned()));
        }
        q
    };
    let rows = base()
        .order((records::period_start.desc(), records::id.desc(), persons::position.asc()))
        .limit(limit)
        .select((PersonRow::as_select(), records::agency_id))
        .load(conn)?;
    let total = if (rows.len() as i64) < limit { rows.len() as i64 } else { base().count().get_result(conn)? };
    Ok((rows, total))
}

/// Open flags that name this household on either side, at most `limit`; on records of
/// `agency` only, when given.
pub fn open_flags_of_household(
    conn: &mut DbConn,
    household_id: &str,
    agency: Option<&str>,
    limit: i64,
) -> QResult<Vec<FlagRow>> {
    let mut q = flags::table
        .filter(flags::status.eq("open"))
        .filter(flags::household_id.eq(household_id).or(flags::matched_household_id.eq(household_id)))
        .into_boxed();
    if let Some(a) = agency {
        let own = records::table.filter(records::agency_id.eq(a.to_owned())).select(records::id);
        q = q.filter(flags::record_id.eq_any(own));
    }
    let rows = q.order(flags::id.asc()).limit(limit).select(FlagRow::as_select()).load(conn)?;
    with_evidence(conn, rows)
}

/// How many flags are open on each of these households (raised on it or naming it, as the
/// household view lists them; on records of `agency` only, when given).
pub fn open_flag_counts(conn: &mut DbConn, ids: &[String], agency: Option<&str>) -> QResult<Vec<(String, usize)>> {
    let mut q = flags::table
        .inner_join(records::table)
        .filter(flags::status.eq("open"))
        .filter(flags::household_id.eq_any(ids).or(flags::matched_household_id.eq_any(ids)))
        .select((flags::household_id, flags::matched_household_id))
        .into_boxed();
    if let Some(a) = agency {
        q = q.filter(records::agency_id.eq(a));
    }
    let rows: Vec<(String, String)> = q.load(conn)?;
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (h, m) in rows {
        // A flag counts once for each household it concerns, once when both sides are one.
        let concerned = if h == m { vec![h] } else { vec![h, m] };
        for id in concerned.into_iter().filter(|id| ids.contains(id)) {
            *counts.entry(id).or_default() += 1;
        }
    }
    Ok(counts.into_iter().collect())
}

/// Every pair kept apart by a reviewer.
pub fn dismissed_pairs(conn: &mut DbConn) -> QResult<Vec<(String, String)>> {
    dismissed_pairs::table.select((dismissed_pairs::household_a, dismissed_pairs::household_b)).load(conn)
}

// ---- audit ----

/// Records one access.
pub fn insert_audit(conn: &mut DbConn, row: &AuditRow) -> QResult<()> {
    diesel::insert_into(audit_events::table).values(row).execute(conn).map(drop)
}

/// Which audit events to read: each filter given holds; newest first, after the cursor.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Events at or after this time (RFC 3339 or a date).
    pub from: Option<String>,
    /// Events before this time.
    pub before: Option<String>,
    /// Events of this user or this key.
    pub user_id: Option<String>,
    pub key_id: Option<String>,
    /// Events of this action, or, ending in `.`, of these actions.
    pub action: Option<String>,
    /// Events about this household: their target, or a detail naming it.
    pub household_id: Option<String>,
    /// Events with an id less than this (the cursor: newest first).
    pub before_id: Option<String>,
    pub limit: i64,
}

/// A page of audit events, newest first.
pub fn list_audit(conn: &mut DbConn, f: &AuditFilter) -> QResult<Vec<AuditRow>> {
    let mut q = audit_events::table.select(AuditRow::as_select()).into_boxed();
    if let Some(v) = &f.from {
        q = q.filter(audit_events::at.ge(v.clone()));
    }
    if let Some(v) = &f.before {
        q = q.filter(audit_events::at.lt(v.clone()));
    }
    if let Some(v) = &f.user_id {
        q = q.filter(audit_events::user_id.eq(v.clone()));
    }
    if let Some(v) = &f.key_id {
        q = q.filter(audit_events::key_id.eq(v.clone()));
    }
    if let Some(v) = &f.action {
        q = match v.strip_suffix('.') {
            Some(prefix) => q.filter(audit_events::action.like(format!("{}.%", prefix.replace(['%', '_'], "")))),
            None => q.filter(audit_events::action.eq(v.clone())),
        };
    }
    if let Some(v) = &f.household_id {
        let pattern = format!("%{}%", v.replace(['%', '_'], ""));
        q = q.filter(audit_events::target.eq(v.clone()).or(audit_events::detail.like(pattern)));
    }
    if let Some(v) = &f.before_id {
        q = q.filter(audit_events::id.lt(v.clone()));
    }
    q.order(audit_events::id.desc()).limit(f.limit).load(conn)
}

/// Records several accesses, one multi-row statement (see `insert_rows!`).
pub fn insert_audits(conn: &mut DbConn, rows: &[AuditRow]) -> QResult<()> {
    insert_rows!(conn, audit_events::table, rows);
    Ok(())
}

/// Agencies by id, for naming the other side of a flag.
pub fn agencies_by_ids(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<AgencyRow>> {
    agencies::table.filter(agencies::id.eq_any(ids)).select(AgencyRow::as_select()).load(conn)
}

// ---- flags and reviews ----

/// A flag by id.
pub fn flag(conn: &mut DbConn, id: &str) -> QResult<Option<FlagRow>> {
    let row = flags::table.find(id).select(FlagRow::as_select()).first(conn).optional()?;
    Ok(with_evidence(conn, row.into_iter().collect())?.pop())
}

/// Filters for listing flags.
#[derive(Debug, Default, Clone)]
pub struct FlagFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Flags whose record or matched record belongs to this agency id.
    pub agency_id: Option<String>,
    /// Only flags with an id greater than this (the cursor).
    pub after: Option<String>,
    pub limit: i64,
    /// Only flags of households with a record in this scope.
    pub scope: Option<ScopeCodes>,
}

/// A page of flags, oldest first.
pub fn list_flags(conn: &mut DbConn, f: &FlagFilter) -> QResult<Vec<FlagRow>> {
    let mut q = flags::table.select(FlagRow::as_select()).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(flags::status.eq(s.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(flags::kind.eq(k.clone()));
    }
    if let Some(a) = &f.agency_id {
        let own = records::table.filter(records::agency_id.eq(a.clone())).select(records::id);
        q = q.filter(flags::record_id.eq_any(own).or(flags::matched_agency_id.eq(a.clone())));
    }
    if let Some(after) = &f.after {
        q = q.filter(flags::id.gt(after.clone()));
    }
    if let Some(sc) = &f.scope {
        let held = records::table
            .filter(
                records::governorate_code
                    .eq_any(sc.governorates.clone())
                    .or(records::locality_code.eq_any(sc.localities.clone())),
            )
            .select(records::household_id);
        q = q.filter(flags::household_id.eq_any(held));
    }
    let rows = q.order(flags::id.asc()).limit(f.limit).load(conn)?;
    with_evidence(conn, rows)
}

/// Sets a flag's status.
pub fn set_flag_status(conn: &mut DbConn, id: &str, status: &str) -> QResult<()> {
    diesel::update(flags::table.find(id)).set(flags::status.eq(status)).execute(conn).map(drop)
}

/// Stores a review.
pub fn insert_review(conn: &mut DbConn, row: &ReviewRow) -> QResult<()> {
    diesel::insert_into(reviews::table).values(row).execute(conn).map(drop)
}

/// Keeps two households apart for good.
pub fn insert_dismissed_pair(conn: &mut DbConn, row: &DismissedPairRow) -> QResult<()> {
    let exists = dismissed_pairs::table.find((&row.household_a, &row.household_b)).count().get_result::<i64>(conn)?;
    if exists == 0 {
        diesel::insert_into(dismissed_pairs::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Moves everything of household `from` into `into` and marks `from` merged.
pub fn merge_households(conn: &mut DbConn, from: &str, into: &str) -> QResult<()> {
    diesel::update(records::table.filter(records::household_id.eq(from)))
        .set(records::household_id.eq(into))
        .execute(conn)?;
    diesel::update(persons::table.filter(persons::household_id.eq(from)))
        .set(persons::household_id.eq(into))
        .execute(conn)?;
    diesel::update(flags::table.filter(flags::household_id.eq(from)))
        .set(flags::household_id.eq(into))
        .execute(conn)?;
    diesel::update(flags::table.filter(flags::matched_household_id.eq(from)))
        .set(flags::matched_household_id.eq(into))
        .execute(conn)?;
    diesel::update(households::table.filter(households::merged_into.eq(from)))
        .set(households::merged_into.eq(into))
        .execute(conn)?;
    diesel::update(households::table.find(from)).set(households::merged_into.eq(into)).execute(conn)?;
    Ok(())
}

/// Whether a household has a record in the scope.
pub fn household_in_scope(conn: &mut DbConn, household_id: &str, scope: &ScopeCodes) -> QResult<bool> {
    let n: i64 = records::table
        .filter(records::household_id.eq(household_id))
        .filter(
            records::governorate_code
                .eq_any(scope.governorates.clone())
                .or(records::locality_code.eq_any(scope.localities.clone())),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The members of households (for search results), by household, record and position: read
/// from the index `persons_household` alone.
pub fn members_of_households(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<MemberBrief>> {
    persons::table
        .filter(persons::household_id.eq_any(ids))
        .order((persons::household_id.asc(), persons::record_id.asc(), persons::position.asc()))
        .select(MemberBrief::as_select())
        .load(conn)
}

// ---- the overlap report ----

/// Which overlapping pairs a report selects: flags of kinds `overlapping_aid` and
/// `duplicate_record` (the flagged record and the one it overlaps), filtered in SQL.
#[derive(Debug, Default, Clone)]
pub struct OverlapFilter {
    /// Pairs whose shared period meets `[from, to]` (dates inclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    pub band: Option<String>,
    /// Either record of the pair is of this type.
    pub aid_type: Option<String>,
    /// Either record of the pair is this agency's.
    pub agency_id: Option<String>,
    /// The flag's review status is one of these (none: no pair).
    pub statuses: Vec<String>,
    /// Either record of the pair meets every condition.
    pub places: Vec<PlaceCondition>,
    /// Either record of the pair is in this scope (the caller's).
    pub scope: Option<ScopeCodes>,
}

/// How the report's totals are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlapGroup {
    /// One group, keyed `""`.
    All,
    /// By the pair's agencies, keyed `ID_A|ID_B` (agency ids, the lesser first).
    AgencyPair,
    /// By the flagged record's governorate code, `(none)` when it names no place and
    /// `(unresolved)` when its place resolved to no governorate.
    Governorate,
    /// By the flagged record's aid type.
    AidType,
    /// By the month the shared period starts (`YYYY-MM`; `""` without one).
    Month,
}

/// Totals of one group of pairs.
#[derive(Debug, Clone, QueryableByName)]
pub struct OverlapGroupTotals {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub grp: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n_rows: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub households: i64,
    /// Distinct flagged records.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub records: i64,
    /// The shared periods' days, summed over the pairs.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub days: i64,
}

/// The amount of one group's distinct flagged records in one currency.
#[derive(Debug, Clone, QueryableByName)]
pub struct OverlapGroupAmount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub grp: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub currency: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub amount: f64,
}

/// Rows a raw query ([`Sql`]) can load on every backend built in.
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub trait RawRow: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static {}
#[cfg(all(feature = "sqlite", feature = "postgres"))]
impl<T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static> RawRow for T {}
/// Rows a raw query ([`Sql`]) can load on every backend built in.
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
pub trait RawRow: QueryableByName<diesel::sqlite::Sqlite> + 'static {}
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
impl<T: QueryableByName<diesel::sqlite::Sqlite> + 'static> RawRow for T {}
/// Rows a raw query ([`Sql`]) can load on every backend built in.
#[cfg(all(not(feature = "sqlite"), feature = "postgres"))]
pub trait RawRow: QueryableByName<diesel::pg::Pg> + 'static {}
#[cfg(all(not(feature = "sqlite"), feature = "postgres"))]
impl<T: QueryableByName<diesel::pg::Pg> + 'static> RawRow for T {}
/// SQL text with its bound values (all text), written with `?` placeholders.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub(crate) fn bind(&mut self, v: &str) -> &mut Self {
        self.text.push('?');
        self.binds.push(v.to_owned());
        self
    }

    /// `(?, ?, …)`, or a list that holds nothing when `vs` is empty.
    pub(crate) fn list(&mut self, vs: &[String]) -> &mut Self {
        if vs.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, v) in vs.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    /// Runs it on either backend (PostgreSQL numbers its placeholders).
    pub(crate) fn load<R: RawRow>(self, conn: &mut DbConn) -> QResult<Vec<R>> {
        use diesel::sql_types::Text;
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => {
                let mut q = diesel::sql_query(self.text).into_boxed::<diesel::sqlite::Sqlite>();
                for b in self.binds {
                    q = q.bind::<Text, _>(b);
                }
                q.load(c)
            }
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => {
                let mut text = String::with_capacity(self.text.len() + 8);
                let mut n = 0;
                for ch in self.text.chars() {
                    if ch == '?' {
                        n += 1;
                        text.push_str(&format!("${n}"));
                    } else {
                        text.push(ch);
                    }
                }
                let mut q = diesel::sql_query(text).into_boxed::<diesel::pg::Pg>();
                for b in self.binds {
                    q = q.bind::<Text, _>(b);
                }
                q.load(c)
            }
        }
    }
}

/// `FROM … WHERE …` of the pairs a filter selects: `f` the flag, `r` its record, `m` the
/// record it overlaps.
fn overlap_selection(sql: &mut Sql, f: &OverlapFilter) {
    sql.push(
        " FROM flags f JOIN records r ON r.id = f.record_id JOIN records m ON m.id = f.matched_record_id \
         WHERE f.kind IN ('overlapping_aid', 'duplicate_record') \
         AND r.withdrawn_at IS NULL AND m.withdrawn_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM flags g WHERE g.record_id = f.record_id \
         AND g.matched_record_id = f.matched_record_id AND g.kind = f.kind AND g.id > f.id \
         AND g.status NOT IN ('superseded', 'withdrawn'))",
    );
    // A pair flagged twice (at intake as possible, again when a reviewer merged the two
    // households) is listed once, by its latest flag; withdrawn records leave the report.
    sql.push(" AND f.status IN ").list(&f.statuses);
    if let Some(from) = &f.from {
        sql.push(" AND f.overlap_to >= ").bind(from);
    }
    if let Some(to) = &f.to {
        sql.push(" AND f.overlap_from <= ").bind(to);
    }
    if let Some(b) = &f.band {
        sql.push(" AND f.band = ").bind(b);
    }
    if let Some(t) = &f.aid_type {
        sql.push(" AND (r.assistance_type = ").bind(t).push(" OR m.assistance_type = ").bind(t).push(")");
    }
    if let Some(a) = &f.agency_id {
        sql.push(" AND (r.agency_id = ").bind(a).push(" OR m.agency_id = ").bind(a).push(")");
    }
    if let Some(sc) = &f.scope {
        sql.push(" AND (");
        for (i, side) in ["r", "m"].into_iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(&format!("{side}.governorate_code IN "))
                .list(&sc.governorates)
                .push(&format!(" OR {side}.locality_code IN "))
                .list(&sc.localities);
        }
        sql.push(")");
    }
    if !f.places.is_empty() {
        sql.push(" AND (");
        for (i, side) in ["r", "m"].into_iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(1 = 1");
            for c in &f.places {
                sql.push(" AND ");
                match c {
                    PlaceCondition::GovernorateCode(v) => sql.push(&format!("{side}.governorate_code = ")).bind(v),
                    PlaceCondition::LocalityCode(v) => sql.push(&format!("{side}.locality_code = ")).bind(v),
                    PlaceCondition::GovernorateWritten(vs) => sql.push(&format!("{side}.governorate IN ")).list(vs),
                    PlaceCondition::AreaWritten(vs) => sql
                        .push(&format!("({side}.governorate IN "))
                        .list(vs)
                        .push(&format!(" OR {side}.locality IN "))
                        .list(vs)
                        .push(")"),
                };
            }
            sql.push(")");
        }
        sql.push(")");
    }
}

/// A page of the pairs a filter selects, in flag order, after a flag id.
pub fn overlap_flags(conn: &mut DbConn, f: &OverlapFilter, after: Option<&str>, limit: i64) -> QResult<Vec<FlagBrief>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT f.id, f.record_id, f.household_id, f.kind, f.band, f.score, f.matched_record_id, \
         f.overlap_from, f.overlap_to, f.status, f.matched_records",
    );
    overlap_selection(&mut sql, f);
    if let Some(a) = after {
        sql.push(" AND f.id > ").bind(a);
    }
    sql.push(&format!(" ORDER BY f.id LIMIT {}", limit.max(0)));
    sql.load(conn)
}

/// The pairs a filter selects, totalled in the database by `group`: how many, their
/// households, their distinct flagged records, their shared days; and the amount of those
/// records by currency (each record counted once per group).
pub fn overlap_totals(
    conn: &mut DbConn,
    f: &OverlapFilter,
    group: OverlapGroup,
) -> QResult<(Vec<OverlapGroupTotals>, Vec<OverlapGroupAmount>)> {
    let days = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => "CAST(julianday(f.overlap_to) - julianday(f.overlap_from) AS INTEGER) + 1",
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => "(CAST(f.overlap_to AS DATE) - CAST(f.overlap_from AS DATE)) + 1",
    };
    let key = match group {
        OverlapGroup::All => "''",
        OverlapGroup::AgencyPair => {
            "CASE WHEN r.agency_id <= m.agency_id THEN r.agency_id || '|' || m.agency_id \
             ELSE m.agency_id || '|' || r.agency_id END"
        }
        OverlapGroup::Governorate => {
            "CASE WHEN r.governorate_code IS NOT NULL THEN r.governorate_code \
             WHEN r.governorate IS NULL AND r.locality IS NULL THEN '(none)' ELSE '(unresolved)' END"
        }
        OverlapGroup::AidType => "r.assistance_type",
        OverlapGroup::Month => "COALESCE(SUBSTR(f.overlap_from, 1, 7), '')",
    };
    let selected = |sql: &mut Sql| {
        sql.push(&format!(
            "WITH sel AS (SELECT {key} AS grp, f.household_id AS household_id, f.record_id AS record_id, \
             r.amount AS amount, r.currency AS currency, {days} AS days"
        ));
        overlap_selection(sql, f);
        sql.push(") ");
    };
    let mut sql = Sql::default();
    selected(&mut sql);
    sql.push(
        "SELECT grp, COUNT(*) AS n_rows, COUNT(DISTINCT household_id) AS households, \
         COUNT(DISTINCT record_id) AS records, COALESCE(SUM(days), 0) AS days FROM sel GROUP BY grp ORDER BY grp",
    );
    let totals = sql.load(conn)?;
    if group == OverlapGroup::Month {
        return Ok((totals, Vec::new()));
    }
    let mut sql = Sql::default();
    selected(&mut sql);
    sql.push(
        "SELECT grp, currency, SUM(amount) AS amount FROM (SELECT DISTINCT grp, record_id, amount, currency \
         FROM sel WHERE amount IS NOT NULL AND currency IS NOT NULL) d GROUP BY grp, currency ORDER BY grp, currency",
    );
    Ok((totals, sql.load(conn)?))
}

/// Every place name written in records (governorates and localities), once each: what a filter
/// naming no known place is compared with.
pub fn written_place_names(conn: &mut DbConn) -> QResult<Vec<String>> {
    let mut names: Vec<String> = records::table
        .filter(records::governorate.is_not_null())
        .select(records::governorate.assume_not_null())
        .distinct()
        .load(conn)?;
    names.extend(
        records::table
            .filter(records::locality.is_not_null())
            .select(records::locality.assume_not_null())
            .distinct()
            .load::<String>(conn)?,
    );
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// Records by ids, without their stored answers.
pub fn record_briefs(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<RecordBrief>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(records::table.filter(records::id.eq_any(chunk)).select(RecordBrief::as_select()).load(conn)?);
    }
    Ok(out)
}

/// Where the records of several households are and whose they are (in no set order): read
/// from the index `records_household` alone.
pub fn record_places_of_households(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<RecordWhere>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            records::table.filter(records::household_id.eq_any(chunk)).select(RecordWhere::as_select()).load(conn)?,
        );
    }
    Ok(out)
}

/// Records of several households, oldest period first.
pub fn records_of_households(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<RecordBrief>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            records::table
                .filter(records::household_id.eq_any(chunk))
                .order((records::period_start.asc(), records::id.asc()))
                .select(RecordBrief::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

// ---- places ----

/// The places the admin added, oldest first (the order they are fed back to the gazetteer).
pub fn stored_places(conn: &mut DbConn) -> QResult<Vec<PlaceRow>> {
    places::table.order((places::created_at.asc(), places::code.asc())).select(PlaceRow::as_select()).load(conn)
}

/// The spellings the admin added, oldest first.
pub fn stored_place_aliases(conn: &mut DbConn) -> QResult<Vec<PlaceAliasRow>> {
    place_aliases::table
        .order((place_aliases::created_at.asc(), place_aliases::code.asc(), place_aliases::alias.asc()))
        .select(PlaceAliasRow::as_select())
        .load(conn)
}

/// Stores a place the admin added.
pub fn insert_place(conn: &mut DbConn, row: &PlaceRow) -> QResult<()> {
    diesel::insert_into(places::table).values(row).execute(conn).map(drop)
}

/// Stores spellings of a place; one already stored is left as it is.
pub fn insert_place_aliases(conn: &mut DbConn, rows: &[PlaceAliasRow]) -> QResult<()> {
    for row in rows {
        let exists = place_aliases::table.find((&row.code, &row.alias)).count().get_result::<i64>(conn)?;
        if exists == 0 {
            diesel::insert_into(place_aliases::table).values(row).execute(conn)?;
        }
    }
    Ok(())
}

/// A page, after the record id `after`, of the records whose location was written but has not
/// resolved in full: a governorate name without a governorate code, or a locality name without
/// a locality code.
pub fn unresolved_places(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<RecordPlace>> {
    let mut q = records::table
        .filter(
            records::governorate
                .is_not_null()
                .and(records::governorate_code.is_null())
                .or(records::locality.is_not_null().and(records::locality_code.is_null())),
        )
        .select(RecordPlace::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(records::id.gt(a.to_owned()));
    }
    q.order(records::id.asc()).limit(limit).load(conn)
}

/// Sets the resolved codes of these records.
pub fn set_record_places(
    conn: &mut DbConn,
    ids: &[String],
    governorate_code: Option<&str>,
    locality_code: Option<&str>,
) -> QResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += diesel::update(records::table.filter(records::id.eq_any(chunk)))
            .set((records::governorate_code.eq(governorate_code), records::locality_code.eq(locality_code)))
            .execute(conn)?;
    }
    Ok(n)
}

/// One condition on a record's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceCondition {
    /// Its governorate resolved to this code.
    GovernorateCode(String),
    /// Its locality resolved to this code.
    LocalityCode(String),
    /// Its governorate was written as one of these.
    GovernorateWritten(Vec<String>),
    /// Its governorate or its locality was written as one of these.
    AreaWritten(Vec<String>),
}

/// Which records a count of unresolved locations looks at.
#[derive(Debug, Default, Clone)]
pub struct RecordFilter {
    /// Records whose period meets `[from, to]` (dates inclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    pub aid_type: Option<String>,
    pub agency_id: Option<String>,
    /// Every condition holds.
    pub places: Vec<PlaceCondition>,
    /// Records in this scope only.
    pub scope: Option<ScopeCodes>,
}

/// How many records the filter selects whose location did not resolve: (records with either
/// name unresolved, records with a name given but no governorate code, records with a locality
/// written but no locality code).
pub fn unresolved_counts(conn: &mut DbConn, f: &RecordFilter) -> QResult<(i64, i64, i64)> {
    let gov_unresolved =
        records::governorate_code.is_null().and(records::governorate.is_not_null().or(records::locality.is_not_null()));
    let loc_unresolved = records::locality.is_not_null().and(records::locality_code.is_null());
    let filtered = || {
        let mut q = records::table.filter(records::withdrawn_at.is_null()).into_boxed();
        if let Some(from) = &f.from {
            q = q.filter(records::period_end.ge(from.clone()));
        }
        if let Some(to) = &f.to {
            q = q.filter(records::period_start.le(to.clone()));
        }
        if let Some(t) = &f.aid_type {
            q = q.filter(records::assistance_type.eq(t.clone()));
        }
        if let Some(a) = &f.agency_id {
            q = q.filter(records::agency_id.eq(a.clone()));
        }
        if let Some(sc) = &f.scope {
            q = q.filter(
                records::governorate_code
                    .eq_any(sc.governorates.clone())
                    .or(records::locality_code.eq_any(sc.localities.clone())),
            );
        }
        for c in &f.places {
            q = match c {
                PlaceCondition::GovernorateCode(v) => q.filter(records::governorate_code.eq(v.clone())),
                PlaceCondition::LocalityCode(v) => q.filter(records::locality_code.eq(v.clone())),
                PlaceCondition::GovernorateWritten(v) => q.filter(records::governorate.eq_any(v.clone())),
                PlaceCondition::AreaWritten(v) => {
                    q.filter(records::governorate.eq_any(v.clone()).or(records::locality.eq_any(v.clone())))
                }
            };
        }
        q
    };
    let any: i64 = filtered().filter(gov_unresolved.or(loc_unresolved)).count().get_result(conn)?;
    let gov: i64 = filtered().filter(gov_unresolved).count().get_result(conn)?;
    let loc: i64 = filtered().filter(loc_unresolved).count().get_result(conn)?;
    Ok((any, gov, loc))
}

// ---- personal data at rest (see `service::vault`) ----

/// The check value sealed with the data key, if one was stored.
pub fn data_key_check(conn: &mut DbConn) -> QResult<Option<String>> {
    data_key::table.find(1).select(data_key::check_value).first(conn).optional()
}

/// Whether a whole pass of sealing has found nothing left in clear (`set_wholly_sealed`).
pub fn wholly_sealed(conn: &mut DbConn) -> QResult<bool> {
    let at: Option<Option<String>> = data_key::table.find(1).select(data_key::sealed_at).first(conn).optional()?;
    Ok(matches!(at, Some(Some(_))))
}

/// Marks the database wholly sealed, at `at`.
pub fn set_wholly_sealed(conn: &mut DbConn, at: &str) -> QResult<()> {
    diesel::update(data_key::table.find(1)).set(data_key::sealed_at.eq(at)).execute(conn)?;
    Ok(())
}

/// Stores the check value sealed with the data key.
pub fn set_data_key_check(conn: &mut DbConn, value: &str) -> QResult<()> {
    diesel::insert_into(data_key::table)
        .values((data_key::id.eq(1), data_key::check_value.eq(value), data_key::sealed_at.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

/// A page of persons after the id `after`, in id order.
pub fn persons_after(conn: &mut DbConn, after: i64, limit: i64) -> QResult<Vec<PersonRow>> {
    persons::table
        .filter(persons::id.gt(after))
        .order(persons::id.asc())
        .limit(limit)
        .select(PersonRow::as_select())
        .load(conn)
}

/// Writes a person's sealed national ID and phone and their look-up hashes.
pub fn set_person_sealed(conn: &mut DbConn, row: &PersonRow) -> QResult<()> {
    diesel::update(persons::table.find(row.id))
        .set((
            persons::national_id.eq(&row.national_id),
            persons::national_id_hash.eq(&row.national_id_hash),
            persons::phone.eq(&row.phone),
            persons::phone_hash.eq(&row.phone_hash),
        ))
        .execute(conn)
        .map(drop)
}

/// A page of match evidence (id, body) after the id `after`.
pub fn evidence_after(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<(String, String)>> {
    let mut q = match_evidence::table.select((match_evidence::id, match_evidence::body)).into_boxed();
    if let Some(a) = after {
        q = q.filter(match_evidence::id.gt(a.to_owned()));
    }
    q.order(match_evidence::id.asc()).limit(limit).load(conn)
}

/// Sets the body of a match's evidence.
pub fn set_evidence_body(conn: &mut DbConn, id: &str, body: &str) -> QResult<()> {
    diesel::update(match_evidence::table.find(id)).set(match_evidence::body.eq(body)).execute(conn).map(drop)
}

/// A page of (id, evidence) of flags that carry their own evidence, after the id `after`.
pub fn flag_evidence_after(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<(String, String)>> {
    let mut q = flags::table.filter(flags::evidence.ne("")).select((flags::id, flags::evidence)).into_boxed();
    if let Some(a) = after {
        q = q.filter(flags::id.gt(a.to_owned()));
    }
    q.order(flags::id.asc()).limit(limit).load(conn)
}

/// Sets the evidence a flag carries itself.
pub fn set_flag_evidence(conn: &mut DbConn, id: &str, evidence: &str) -> QResult<()> {
    diesel::update(flags::table.find(id)).set(flags::evidence.eq(evidence)).execute(conn).map(drop)
}

/// A page of (id, note) of reviews with a note, after the id `after`.
pub fn notes_after(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<(String, String)>> {
    let mut q = reviews::table.filter(reviews::note.ne("")).select((reviews::id, reviews::note)).into_boxed();
    if let Some(a) = after {
        q = q.filter(reviews::id.gt(a.to_owned()));
    }
    q.order(reviews::id.asc()).limit(limit).load(conn)
}

/// Sets a review's note.
pub fn set_review_note(conn: &mut DbConn, id: &str, note: &str) -> QResult<()> {
    diesel::update(reviews::table.find(id)).set(reviews::note.eq(note)).execute(conn).map(drop)
}

/// A page of (id, stored answer) of records whose stored answer carries evidence (stored before
/// evidence was kept apart), after the id `after`.
pub fn answers_with_evidence(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<(String, String)>> {
    let mut q = records::table
        .filter(records::answer.like("%\"evidence\":[{%"))
        .select((records::id, records::answer))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(records::id.gt(a.to_owned()));
    }
    q.order(records::id.asc()).limit(limit).load(conn)
}

/// Sets a record's stored answer.
pub fn set_record_answer(conn: &mut DbConn, id: &str, answer: &str) -> QResult<()> {
    diesel::update(records::table.find(id)).set(records::answer.eq(answer)).execute(conn).map(drop)
}

/// On SQLite, has space freed on this connection overwritten with zeros (`secure_delete`), or
/// no longer (the default: zeroing costs every later write on the connection, the writer's).
pub fn zero_freed_space(conn: &mut DbConn, on: bool) -> QResult<()> {
    if conn.backend() == super::Backend::Sqlite {
        diesel::sql_query(if on { "PRAGMA secure_delete = ON" } else { "PRAGMA secure_delete = OFF" }).execute(conn)?;
    }
    Ok(())
}

/// Rebuilds the storage of what sealing rewrote, so no free page or dead row keeps old values:
/// SQLite's whole file (`VACUUM`, then the write-ahead log emptied); PostgreSQL's tables
/// (`VACUUM FULL`, which needs their owner).
pub fn compact(conn: &mut DbConn) -> QResult<()> {
    match conn.backend() {
        super::Backend::Sqlite => {
            diesel::sql_query("VACUUM").execute(conn)?;
            diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(conn)?;
        }
        super::Backend::Postgres => {
            diesel::sql_query("VACUUM FULL persons, match_evidence, flags, records, reviews").execute(conn)?;
        }
    }
    Ok(())
}

/// A page of (id, body hash) of records whose body hash is a plain SHA-256 (not yet keyed),
/// after the id `after`.
pub fn plain_body_hashes_after(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QResult<Vec<(String, String)>> {
    let mut q = records::table
        .filter(records::body_hash.not_like("k1:%"))
        .select((records::id, records::body_hash))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(records::id.gt(a.to_owned()));
    }
    q.order(records::id.asc()).limit(limit).load(conn)
}

/// Sets a record's body hash.
pub fn set_body_hash(conn: &mut DbConn, id: &str, hash: &str) -> QResult<()> {
    diesel::update(records::table.find(id)).set(records::body_hash.eq(hash)).execute(conn).map(drop)
}
