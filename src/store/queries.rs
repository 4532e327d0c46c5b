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

// ---- records ----

/// An agency's record by its own reference.
pub fn record_by_external(conn: &mut DbConn, agency_id: &str, external_id: &str) -> QResult<Option<RecordRow>> {
    records::table
        .filter(records::agency_id.eq(agency_id))
        .filter(records::external_id.eq(external_id))
        .select(RecordRow::as_select())
        .first(conn)
        .optional()
}

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

/// Stores the evidence of matches, once each.
pub fn insert_evidence(conn: &mut DbConn, rows: &[EvidenceRow]) -> QResult<()> {
    for chunk in rows.chunks(100) {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(match_evidence::table).values(chunk).execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(match_evidence::table).values(chunk).execute(c)?,
        };
    }
    Ok(())
}

/// Stores a record.
pub fn insert_record(conn: &mut DbConn, row: &RecordRow) -> QResult<()> {
    diesel::insert_into(records::table).values(row).execute(conn).map(drop)
}

/// Stores members.
pub fn insert_persons(conn: &mut DbConn, rows: &[PersonRow]) -> QResult<()> {
    // Multi-row inserts are backend-specific in diesel, so the connection is matched here.
    for chunk in rows.chunks(50) {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(persons::table).values(chunk).execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(persons::table).values(chunk).execute(c)?,
        };
    }
    Ok(())
}

/// Stores flags.
pub fn insert_flags(conn: &mut DbConn, rows: &[FlagRow]) -> QResult<()> {
    // Multi-row inserts are backend-specific in diesel, so the connection is matched here.
    for chunk in rows.chunks(50) {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(flags::table).values(chunk).execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(flags::table).values(chunk).execute(c)?,
        };
    }
    Ok(())
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

/// A page of every record's aid in the order they were stored, after `(created_at, id)`.
pub fn aid_page(conn: &mut DbConn, after: Option<&(String, String)>, limit: i64) -> QResult<Vec<AidRow>> {
    let mut q = records::table.select(AidRow::as_select()).into_boxed();
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

/// Records several accesses.
pub fn insert_audits(conn: &mut DbConn, rows: &[AuditRow]) -> QResult<()> {
    // Multi-row inserts are backend-specific in diesel, so the connection is matched here.
    for chunk in rows.chunks(100) {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(audit_events::table).values(chunk).execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(audit_events::table).values(chunk).execute(c)?,
        };
    }
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

/// Persons by household ids (for search results).
pub fn persons_of_households(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<PersonRow>> {
    persons::table
        .filter(persons::household_id.eq_any(ids))
        .order((persons::household_id.asc(), persons::record_id.asc(), persons::position.asc()))
        .select(PersonRow::as_select())
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
    /// Either record of the pair meets every condition.
    pub places: Vec<PlaceCondition>,
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
         WHERE f.kind IN ('overlapping_aid', 'duplicate_record')",
    );
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
}

/// How many records the filter selects whose location did not resolve: (records with either
/// name unresolved, records with a name given but no governorate code, records with a locality
/// written but no locality code).
pub fn unresolved_counts(conn: &mut DbConn, f: &RecordFilter) -> QResult<(i64, i64, i64)> {
    let gov_unresolved =
        records::governorate_code.is_null().and(records::governorate.is_not_null().or(records::locality.is_not_null()));
    let loc_unresolved = records::locality.is_not_null().and(records::locality_code.is_null());
    let filtered = || {
        let mut q = records::table.into_boxed();
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

/// Stores the check value sealed with the data key.
pub fn set_data_key_check(conn: &mut DbConn, value: &str) -> QResult<()> {
    diesel::insert_into(data_key::table).values((data_key::id.eq(1), data_key::check_value.eq(value))).execute(conn)?;
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

/// The households of the persons whose national ID (when given) or phone (when given) has
/// this look-up hash.
pub fn households_by_hash(conn: &mut DbConn, national_id: Option<&str>, phone: Option<&str>) -> QResult<Vec<String>> {
    let mut q = persons::table.select(persons::household_id).distinct().into_boxed();
    if let Some(h) = national_id {
        q = q.filter(persons::national_id_hash.eq(h.to_owned()));
    }
    if let Some(h) = phone {
        q = q.filter(persons::phone_hash.eq(h.to_owned()));
    }
    q.load(conn)
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

/// On SQLite, has space freed on this connection overwritten with zeros (`secure_delete`).
pub fn zero_freed_space(conn: &mut DbConn) -> QResult<()> {
    if conn.backend() == super::Backend::Sqlite {
        diesel::sql_query("PRAGMA secure_delete = ON").execute(conn)?;
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
