//! The planning side's SQL (issue 11): the groups a record's household falls in, the directory
//! of organisations and services, needs and targets, and the counts of the coverage report and
//! the 3W. Households are always the resolved ones (`COALESCE(h.merged_into, h.id)`), each
//! counted once however many records or agencies reached it. The records a report selects are
//! chosen in SQL and read once, in one scan, then counted here (distinct households, agencies
//! per household) with sorted numbers: one scan instead of a grouping query per measure.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::models::{NeedRow, OrganizationRow, ServiceRow};
use super::queries::{PlaceCondition, RawRow, Sql};
use super::schema::*;
use super::{Backend, DbConn};

type QResult<T> = Result<T, diesel::result::Error>;

/// Forgets the groups a record put its household in (before a correction writes them again).
pub fn delete_record_groups(conn: &mut DbConn, record_id: &str) -> QResult<()> {
    diesel::delete(record_groups::table.filter(record_groups::record_id.eq(record_id))).execute(conn)?;
    Ok(())
}

/// The groups of one record.
pub fn groups_of_record(conn: &mut DbConn, record_id: &str) -> QResult<Vec<String>> {
    record_groups::table
        .filter(record_groups::record_id.eq(record_id))
        .select(record_groups::grp)
        .order(record_groups::grp.asc())
        .load(conn)
}

/// The places (governorate code, locality code) of a household's records: what a scope holds
/// the household by.
pub fn household_places(conn: &mut DbConn, household_id: &str) -> QResult<Vec<(Option<String>, Option<String>)>> {
    records::table
        .inner_join(households::table)
        .filter(households::id.nullable().eq(household_id).or(households::merged_into.eq(household_id)))
        .select((records::governorate_code, records::locality_code))
        .distinct()
        .load(conn)
}

// ---- the directory ----

/// Every organisation's description, by code.
pub fn organizations(conn: &mut DbConn) -> QResult<Vec<OrganizationRow>> {
    organizations::table.order(organizations::code.asc()).select(OrganizationRow::as_select()).load(conn)
}

/// Writes an organisation's description, whole (made or replaced).
pub fn put_organization(conn: &mut DbConn, row: &OrganizationRow) -> QResult<()> {
    conn.transaction(|c| {
        let n = diesel::update(organizations::table.find(&row.code)).set(row).execute(c)?;
        if n == 0 {
            diesel::insert_into(organizations::table).values(row).execute(c)?;
        }
        Ok(())
    })
}

/// Every service, oldest first.
pub fn services(conn: &mut DbConn) -> QResult<Vec<ServiceRow>> {
    services::table.order((services::created_at.asc(), services::id.asc())).select(ServiceRow::as_select()).load(conn)
}

/// One service.
pub fn service(conn: &mut DbConn, id: &str) -> QResult<Option<ServiceRow>> {
    services::table.find(id).select(ServiceRow::as_select()).first(conn).optional()
}

/// Stores a new service.
pub fn insert_service(conn: &mut DbConn, row: &ServiceRow) -> QResult<()> {
    diesel::insert_into(services::table).values(row).execute(conn).map(drop)
}

/// Replaces a service's fields.
pub fn update_service(conn: &mut DbConn, row: &ServiceRow) -> QResult<()> {
    diesel::update(services::table.find(&row.id)).set(row).execute(conn).map(drop)
}

// ---- needs ----

/// Writes needs: each replaces the one of the same area × sector × group × period, all or none.
pub fn upsert_needs(conn: &mut DbConn, rows: &[NeedRow]) -> QResult<usize> {
    conn.transaction(|c| {
        let mut replaced = 0;
        for r in rows {
            replaced += diesel::delete(
                needs::table
                    .filter(needs::area.eq(&r.area))
                    .filter(needs::sector.eq(&r.sector))
                    .filter(needs::grp.eq(&r.grp))
                    .filter(needs::period_start.eq(&r.period_start))
                    .filter(needs::period_end.eq(&r.period_end)),
            )
            .execute(c)?;
            diesel::insert_into(needs::table).values(r).execute(c)?;
        }
        Ok(replaced)
    })
}

/// Needs, filtered: areas among `areas` (all when `None`), one sector, one group (`''` for
/// every household), periods meeting `[from, to]`.
pub fn needs(
    conn: &mut DbConn,
    areas: Option<&[String]>,
    sector: Option<&str>,
    group: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> QResult<Vec<NeedRow>> {
    let mut q = needs::table.into_boxed();
    if let Some(a) = areas {
        q = q.filter(needs::area.eq_any(a.to_vec()));
    }
    if let Some(s) = sector {
        q = q.filter(needs::sector.eq(s.to_owned()));
    }
    if let Some(g) = group {
        q = q.filter(needs::grp.eq(g.to_owned()));
    }
    if let Some(f) = from {
        q = q.filter(needs::period_end.ge(f.to_owned()));
    }
    if let Some(t) = to {
        q = q.filter(needs::period_start.le(t.to_owned()));
    }
    q.order((needs::area.asc(), needs::sector.asc(), needs::grp.asc(), needs::period_start.asc()))
        .select(NeedRow::as_select())
        .load(conn)
}

// ---- coverage and the 3W ----

/// What a coverage count groups records by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// By the governorate code (NULL for records that resolved to none).
    Governorate,
    /// By the locality code (NULL for records that resolved to none).
    Locality,
    /// Everything selected as one area (its key is empty).
    One,
}

/// The records a coverage count looks at.
#[derive(Debug, Clone)]
pub struct CoverageFilter {
    /// Records whose period meets `[from, to]` (dates inclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    pub level: Level,
    /// Every condition holds.
    pub places: Vec<PlaceCondition>,
    pub sector: Option<String>,
    /// Only records whose household falls in this group.
    pub group: Option<String>,
    /// One row per sector (`false`: every sector together, its key empty, a household reached
    /// in two sectors counted once).
    pub by_sector: bool,
}

/// Households reached in one area and sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub area: Option<String>,
    pub sector: String,
    pub households: i64,
    pub two_or_more: i64,
    pub records: i64,
}

/// An agency present in one area and sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub area: Option<String>,
    pub sector: String,
    pub agency: String,
}

/// What one coverage selection counts: per area and sector the households reached and the
/// agencies present, and the distinct households of the whole selection.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub reached: Vec<Reached>,
    pub present: Vec<Present>,
    pub total: i64,
}

/// One record the selection holds, as the counts need it: its cell (area, sector and agency
/// in one text) and its resolved household's number.
#[derive(Debug, Clone, QueryableByName)]
struct ReachRow {
    #[diesel(sql_type = Text)]
    cell: String,
    #[diesel(sql_type = BigInt)]
    hh: i64,
}

/// As [`ReachRow`], with the groups asked that the record's household falls in (bit `i` for
/// the `i`th; PostgreSQL, see [`coverage_counts`]).
#[derive(Debug, Clone, QueryableByName)]
struct ReachRowGroups {
    #[diesel(sql_type = Text)]
    cell: String,
    #[diesel(sql_type = BigInt)]
    hh: i64,
    #[diesel(sql_type = BigInt)]
    groups: i64,
}

fn area_expr(level: &Level) -> &'static str {
    match level {
        Level::Governorate => "r.governorate_code",
        Level::Locality => "r.locality_code",
        Level::One => "''",
    }
}

fn sector_expr(f: &CoverageFilter) -> &'static str {
    if f.by_sector { "r.assistance_type" } else { "''" }
}

/// ` AND …` of the period window `[from, to]` on `r`. The periods are compared as written
/// (`|| ''`) so that SQLite scans the covering `records_household` index rather than walking
/// `records_period` and reading every row of a wide window from the table.
fn period_conditions(sql: &mut Sql, from: Option<&str>, to: Option<&str>) {
    if let Some(from) = from {
        sql.push(" AND r.period_end || '' >= ").bind(from);
    }
    if let Some(to) = to {
        sql.push(" AND r.period_start || '' <= ").bind(to);
    }
}

/// The resolved household as a number (the survivor's `seq`; merges point every merged
/// household at the survivor itself, never at another merged one), with the joins it needs:
/// reading a number is cheaper than reading an id, and counting numbers cheaper than ids.
const RESOLVED_HH: &str = "COALESCE(m.seq, h.seq)";
const FROM_RESOLVED: &str =
    " FROM records r JOIN households h ON h.id = r.household_id LEFT JOIN households m ON m.id = h.merged_into";

/// `FROM records r … WHERE …` of what a coverage filter selects.
fn coverage_selection(sql: &mut Sql, f: &CoverageFilter) {
    sql.push(FROM_RESOLVED);
    if let Some(g) = &f.group {
        sql.push(" JOIN record_groups g ON g.record_id = r.id AND g.grp = ").bind(g);
    }
    // Withdrawn records (aid never delivered) reached no one.
    sql.push(" WHERE r.withdrawn_at IS NULL");
    period_conditions(sql, f.from.as_deref(), f.to.as_deref());
    if let Some(s) = &f.sector {
        sql.push(" AND r.assistance_type = ").bind(s);
    }
    place_conditions(sql, &f.places);
}

/// ` AND …` for each condition on `r`'s place.
fn place_conditions(sql: &mut Sql, places: &[PlaceCondition]) {
    for c in places {
        sql.push(" AND ");
        match c {
            PlaceCondition::GovernorateCode(v) => sql.push("r.governorate_code = ").bind(v),
            PlaceCondition::LocalityCode(v) => sql.push("r.locality_code = ").bind(v),
            PlaceCondition::GovernorateWritten(vs) => sql.push("r.governorate IN ").list(vs),
            PlaceCondition::AreaWritten(vs) => {
                sql.push("(r.governorate IN ").list(vs).push(" OR r.locality IN ").list(vs).push(")")
            }
        };
    }
}

/// Loads a report's rows. On PostgreSQL in a transaction of its own that may hash in memory
/// (at the default `work_mem` of 4 MB the hashes of a large caseload spill to disk, and a
/// `IN (SELECT …)` too large for it is run again for every row) and does not compile the query
/// (JIT costs more than it saves on a scan of under a second).
fn load_report<R: RawRow>(conn: &mut DbConn, sql: Sql) -> QResult<Vec<R>> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => sql.load(conn),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => conn.transaction(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")?;
            sql.load(c)
        }),
    }
}

/// A small, fast hash for the counts' keys (codes, ids and words read from the database, a
/// few thousand distinct ones): half a million look-ups a report, where SipHash cost a third
/// of the time.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Gives each distinct text a small number, in the order first seen.
#[derive(Default)]
struct Interner(HashMap<String, u32, std::hash::BuildHasherDefault<Fx>>);

impl Interner {
    fn id(&mut self, k: String) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(k).or_insert(n)
    }

    /// The texts by their numbers.
    fn into_values(self) -> Vec<String> {
        let mut v: Vec<(u32, String)> = self.0.into_iter().map(|(k, n)| (n, k)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, k)| k).collect()
    }
}

/// The unit separator (U+001F) in SQL: it is in no code, word or id, so it parts a key made
/// of several columns in one text (one string read a row, not four).
fn sep(conn: &DbConn) -> &'static str {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => "char(31)",
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => "chr(31)",
    }
}

/// A nullable text column as one part of a key: `-` for NULL, else `+` and the value.
fn part(column: &str) -> String {
    format!("COALESCE('+' || {column}, '-')")
}

/// Reads a part back.
fn unpart(p: &str) -> Option<String> {
    p.strip_prefix('+').map(str::to_owned)
}

/// Each agency's code by its id.
fn agency_codes(conn: &mut DbConn) -> QResult<HashMap<String, String>> {
    Ok(agencies::table.select((agencies::id, agencies::code)).load::<(String, String)>(conn)?.into_iter().collect())
}

/// The cells (area, sector) and agencies of a selection's keys, numbered.
struct Keys {
    /// Each key's cell and agency.
    split: Vec<(u32, u32)>,
    cells: Vec<(Option<String>, String)>,
    agencies: Vec<String>,
}

impl Keys {
    fn new(keys: Interner) -> Self {
        let (mut cell_ids, mut agency_ids) = (HashMap::new(), HashMap::new());
        let (mut cells, mut agencies) = (Vec::new(), Vec::new());
        let split = keys
            .into_values()
            .into_iter()
            .map(|k| {
                let mut it = k.rsplitn(3, '\u{1f}');
                let agency = it.next().unwrap_or_default().to_owned();
                let sector = it.next().unwrap_or_default().to_owned();
                let cell = (unpart(it.next().unwrap_or_default()), sector);
                let c = *cell_ids.entry(cell.clone()).or_insert_with(|| {
                    cells.push(cell);
                    cells.len() as u32 - 1
                });
                let a = *agency_ids.entry(agency.clone()).or_insert_with(|| {
                    agencies.push(agency);
                    agencies.len() as u32 - 1
                });
                (c, a)
            })
            .collect();
        Keys { split, cells, agencies }
    }

    /// Counts the selected records, each as (its key, its resolved household): per cell the
    /// distinct households, those reached by two or more agencies, the records, the agencies
    /// present; and the distinct households of them all. Cells none of them falls in are left
    /// out.
    fn count(&self, seen: impl Iterator<Item = (u32, i64)>, codes: &HashMap<String, String>) -> Counts {
        let mut seen: Vec<(u32, i64, u32)> = seen
            .map(|(k, hh)| {
                let (cell, agency) = self.split[k as usize];
                (cell, hh, agency)
            })
            .collect();
        let mut households: Vec<i64> = seen.iter().map(|(_, hh, _)| *hh).collect();
        households.sort_unstable();
        households.dedup();
        let total = households.len() as i64;
        drop(households);
        seen.sort_unstable();
        let mut reached: Vec<Reached> = self
            .cells
            .iter()
            .map(|(area, sector)| Reached {
                area: area.clone(),
                sector: sector.clone(),
                households: 0,
                two_or_more: 0,
                records: 0,
            })
            .collect();
        let n = self.agencies.len();
        let mut present = vec![false; self.cells.len() * n];
        // Sorted by cell, household, agency: a run of one cell and household is one household
        // reached, by as many agencies as the run holds distinct agency numbers.
        let mut i = 0;
        while i < seen.len() {
            let (cell, hh, first) = seen[i];
            let mut j = i;
            let mut several = false;
            while j < seen.len() && seen[j].0 == cell && seen[j].1 == hh {
                several |= seen[j].2 != first;
                present[cell as usize * n + seen[j].2 as usize] = true;
                j += 1;
            }
            let r = &mut reached[cell as usize];
            r.households += 1;
            r.two_or_more += i64::from(several);
            r.records += (j - i) as i64;
            i = j;
        }
        let present = present
            .iter()
            .enumerate()
            .filter(|(_, p)| **p)
            .map(|(i, _)| {
                let (area, sector) = &self.cells[i / n];
                let id = &self.agencies[i % n];
                Present {
                    area: area.clone(),
                    sector: sector.clone(),
                    agency: codes.get(id).cloned().unwrap_or_default(),
                }
            })
            .collect();
        reached.retain(|r| r.households > 0);
        Counts { reached, present, total }
    }
}

/// The counts of one coverage selection (`f`), and of the same selection narrowed to each of
/// `groups` in turn (records whose household falls in it): the selected records are read
/// and counted here, per area and sector: the distinct resolved households, those reached by
/// two or more agencies, the records, the agencies present; and the distinct resolved
/// households of the whole selection. The first counts are `f`'s, then one per group.
///
/// On SQLite one scan of the covering `records_household` index joined to the households,
/// then one small read per group through `record_groups_grp`. On PostgreSQL one scan for all
/// (it read a group's records by scanning every record again): each record carries the groups
/// asked that it falls in, as bits.
pub fn coverage_counts(conn: &mut DbConn, f: &CoverageFilter, groups: &[String]) -> QResult<Vec<Counts>> {
    let (area, sector, sep) = (area_expr(&f.level), sector_expr(f), sep(conn));
    let started = std::time::Instant::now();
    let codes = agency_codes(conn)?;
    let select =
        format!("SELECT {} || {sep} || {sector} || {sep} || r.agency_id AS cell, {RESOLVED_HH} AS hh", part(area));
    let mut keys = Interner::default();
    // Each pass: its records, as (key, household).
    let mut read: Vec<Vec<(u32, i64)>> = Vec::with_capacity(1 + groups.len());
    if matches!(conn.backend(), Backend::Postgres) && !groups.is_empty() {
        // Six groups at most (`Group`): the bits of an i64 hold them.
        debug_assert!(groups.len() < 63);
        let mut sql = Sql::default();
        sql.push(&select).push(", CAST(0");
        for (i, g) in groups.iter().enumerate() {
            sql.push(" + CASE WHEN r.id IN (SELECT record_id FROM record_groups WHERE grp = ")
                .bind(g)
                .push(&format!(") THEN {} ELSE 0 END", 1i64 << i));
        }
        sql.push(" AS BIGINT) AS groups");
        coverage_selection(&mut sql, f);
        let rows: Vec<ReachRowGroups> = load_report(conn, sql)?;
        let rows: Vec<(u32, i64, i64)> = rows.into_iter().map(|r| (keys.id(r.cell), r.hh, r.groups)).collect();
        read.push(rows.iter().map(|(k, hh, _)| (*k, *hh)).collect());
        for i in 0..groups.len() {
            let bit = 1i64 << i;
            read.push(rows.iter().filter(|r| r.2 & bit != 0).map(|(k, hh, _)| (*k, *hh)).collect());
        }
    } else {
        let mut passes = vec![f.clone()];
        passes.extend(groups.iter().map(|g| CoverageFilter { group: Some(g.clone()), ..f.clone() }));
        for p in &passes {
            let mut sql = Sql::default();
            sql.push(&select);
            coverage_selection(&mut sql, p);
            let rows: Vec<ReachRow> = load_report(conn, sql)?;
            read.push(rows.into_iter().map(|r| (keys.id(r.cell), r.hh)).collect());
        }
    }
    let read_in = started.elapsed();
    let keys = Keys::new(keys);
    let out: Vec<Counts> = read.into_iter().map(|seen| keys.count(seen.into_iter(), &codes)).collect();
    tracing::debug!(passes = out.len(), ?read_in, counted = ?started.elapsed(), "coverage counts");
    Ok(out)
}

/// One line of the 3W from the records: an agency, a sector and a place, with the distinct
/// resolved households reached and the span of the records' periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoWhatWhere {
    pub agency: String,
    pub sector: String,
    pub adm1: Option<String>,
    pub adm2: Option<String>,
    pub households: i64,
    pub first: String,
    pub last: String,
}

/// One record as the 3W counts it: its line (agency, sector, governorate and locality in one
/// text), its resolved household's number and its period as written (turning it into numbers
/// in SQL cost a third of the query; here it is a few digits read).
#[derive(Debug, Clone, QueryableByName)]
struct WhoWhatWhereRow {
    #[diesel(sql_type = Text)]
    line: String,
    #[diesel(sql_type = BigInt)]
    hh: i64,
    #[diesel(sql_type = Text)]
    first: String,
    #[diesel(sql_type = Text)]
    last: String,
}

/// `20260301` as `2026-03-01`.
fn day(n: i64) -> String {
    format!("{:04}-{:02}-{:02}", n / 10_000, n / 100 % 100, n % 100)
}

/// `2026-03-01` as `20260301` (a period as stored is a date, checked when posted).
fn day_number(d: &str) -> i64 {
    d.bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'-')
        .filter(u8::is_ascii_digit)
        .fold(0, |n, b| n * 10 + i64::from(b - b'0'))
}

/// The 3W's lines from the records whose period meets `[from, to]`: the records are read once
/// and counted here (distinct resolved households per agency, sector and place).
pub fn who_what_where(conn: &mut DbConn, from: Option<&str>, to: Option<&str>) -> QResult<Vec<WhoWhatWhere>> {
    let sep = sep(conn);
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT r.agency_id || {sep} || r.assistance_type || {sep} || {} || {sep} || {} AS line, {RESOLVED_HH} AS hh, \
         r.period_start AS first, r.period_end AS last{FROM_RESOLVED} WHERE r.withdrawn_at IS NULL",
        part("r.governorate_code"),
        part("r.locality_code"),
    ));
    period_conditions(&mut sql, from, to);
    let started = std::time::Instant::now();
    let codes = agency_codes(conn)?;
    let mut lines = Interner::default();
    let mut rows: Vec<(u32, i64, i64, i64)> = load_report::<WhoWhatWhereRow>(conn, sql)?
        .into_iter()
        .map(|r| (lines.id(r.line), r.hh, day_number(&r.first), day_number(&r.last)))
        .collect();
    let read = started.elapsed();
    let n = rows.len();
    let mut spans: Vec<(i64, i64)> = vec![(i64::MAX, i64::MIN); lines.0.len()];
    for &(line, _, first, last) in &rows {
        let (a, b) = &mut spans[line as usize];
        *a = (*a).min(first);
        *b = (*b).max(last);
    }
    let mut seen: Vec<(u32, i64)> = rows.drain(..).map(|(line, hh, _, _)| (line, hh)).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut reached = vec![0i64; spans.len()];
    for (line, _) in seen {
        reached[line as usize] += 1;
    }
    tracing::debug!(rows = n, ?read, counted = ?started.elapsed(), "3W counts");
    Ok(lines
        .into_values()
        .into_iter()
        .zip(spans)
        .zip(reached)
        .map(|((line, (first, last)), households)| {
            let mut it = line.split('\u{1f}');
            let agency_id = it.next().unwrap_or_default();
            let sector = it.next().unwrap_or_default().to_owned();
            let (adm1, adm2) = (unpart(it.next().unwrap_or_default()), unpart(it.next().unwrap_or_default()));
            WhoWhatWhere {
                agency: codes.get(agency_id).cloned().unwrap_or_default(),
                sector,
                adm1,
                adm2,
                households,
                first: day(first),
                last: day(last),
            }
        })
        .collect())
}
