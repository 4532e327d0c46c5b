//! The planning side's SQL (issue 11): the groups a record's household falls in, the directory
//! of organisations and services, needs and targets, and the counts of the coverage report and
//! the 3W. Households are always the resolved ones (`COALESCE(h.merged_into, h.id)`), each
//! counted once however many records or agencies reached it; every count is made in SQL.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::DbConn;
use super::models::{NeedRow, OrganizationRow, RecordGroupRow, ServiceRow};
use super::queries::{PlaceCondition, Sql};
use super::schema::*;

type QResult<T> = Result<T, diesel::result::Error>;

/// Stores the groups of a record.
/// Forgets the groups a record put its household in (before a correction writes them again).
pub fn delete_record_groups(conn: &mut DbConn, record_id: &str) -> QResult<()> {
    diesel::delete(record_groups::table.filter(record_groups::record_id.eq(record_id))).execute(conn)?;
    Ok(())
}

pub fn insert_record_groups(conn: &mut DbConn, rows: &[RecordGroupRow]) -> QResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::insert_into(record_groups::table).values(rows).execute(c)?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::insert_into(record_groups::table).values(rows).execute(c)?,
    };
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
#[derive(Debug, Clone, QueryableByName)]
pub struct Reached {
    #[diesel(sql_type = Nullable<Text>)]
    pub area: Option<String>,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = BigInt)]
    pub households: i64,
    #[diesel(sql_type = BigInt)]
    pub two_or_more: i64,
    #[diesel(sql_type = BigInt)]
    pub records: i64,
}

/// An agency present in one area and sector.
#[derive(Debug, Clone, QueryableByName)]
pub struct Present {
    #[diesel(sql_type = Nullable<Text>)]
    pub area: Option<String>,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = Text)]
    pub agency: String,
}

#[derive(Debug, Clone, QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
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

/// `FROM records r JOIN households h … WHERE …` of what a coverage filter selects.
fn coverage_selection(sql: &mut Sql, f: &CoverageFilter, with_agencies: bool) {
    sql.push(" FROM records r JOIN households h ON h.id = r.household_id");
    if with_agencies {
        sql.push(" JOIN agencies a ON a.id = r.agency_id");
    }
    if let Some(g) = &f.group {
        sql.push(" JOIN record_groups g ON g.record_id = r.id AND g.grp = ").bind(g);
    }
    // Withdrawn records (aid never delivered) reached no one.
    sql.push(" WHERE r.withdrawn_at IS NULL");
    if let Some(from) = &f.from {
        sql.push(" AND r.period_end >= ").bind(from);
    }
    if let Some(to) = &f.to {
        sql.push(" AND r.period_start <= ").bind(to);
    }
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

/// Per area and sector: the distinct resolved households reached, those reached by two or more
/// agencies in that sector, and the records.
pub fn reached(conn: &mut DbConn, f: &CoverageFilter) -> QResult<Vec<Reached>> {
    let (area, sector) = (area_expr(&f.level), sector_expr(f));
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT x.area AS area, x.sector AS sector, CAST(COUNT(*) AS BIGINT) AS households, \
         CAST(SUM(CASE WHEN x.n_agencies > 1 THEN 1 ELSE 0 END) AS BIGINT) AS two_or_more, \
         CAST(SUM(x.n_records) AS BIGINT) AS records FROM (SELECT {area} AS area, {sector} AS sector, \
         COALESCE(h.merged_into, h.id) AS hh, COUNT(DISTINCT r.agency_id) AS n_agencies, COUNT(*) AS n_records"
    ));
    coverage_selection(&mut sql, f, false);
    // PostgreSQL refuses a constant in GROUP BY: only the expressions that vary are listed.
    let keys: Vec<&str> =
        [area, sector, "COALESCE(h.merged_into, h.id)"].into_iter().filter(|k| !k.starts_with('\'')).collect();
    sql.push(&format!(" GROUP BY {}) x GROUP BY x.area, x.sector", keys.join(", ")));
    sql.load(conn)
}

/// Per area and sector: the agencies (codes) that reached anyone.
pub fn present(conn: &mut DbConn, f: &CoverageFilter) -> QResult<Vec<Present>> {
    let (area, sector) = (area_expr(&f.level), sector_expr(f));
    let mut sql = Sql::default();
    sql.push(&format!("SELECT DISTINCT {area} AS area, {sector} AS sector, a.code AS agency"));
    coverage_selection(&mut sql, f, true);
    sql.load(conn)
}

/// The distinct resolved households the whole selection reached.
pub fn reached_total(conn: &mut DbConn, f: &CoverageFilter) -> QResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT CAST(COUNT(DISTINCT COALESCE(h.merged_into, h.id)) AS BIGINT) AS n");
    coverage_selection(&mut sql, f, false);
    Ok(sql.load::<Count>(conn)?.first().map_or(0, |c| c.n))
}

/// One line of the 3W from the records: an agency, a sector and a place, with the distinct
/// resolved households reached and the span of the records' periods.
#[derive(Debug, Clone, QueryableByName)]
pub struct WhoWhatWhere {
    #[diesel(sql_type = Text)]
    pub agency: String,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub adm1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub adm2: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub households: i64,
    #[diesel(sql_type = Text)]
    pub first: String,
    #[diesel(sql_type = Text)]
    pub last: String,
}

/// The 3W's lines from the records whose period meets `[from, to]`.
pub fn who_what_where(conn: &mut DbConn, from: Option<&str>, to: Option<&str>) -> QResult<Vec<WhoWhatWhere>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT a.code AS agency, r.assistance_type AS sector, r.governorate_code AS adm1, r.locality_code AS adm2, \
         CAST(COUNT(DISTINCT COALESCE(h.merged_into, h.id)) AS BIGINT) AS households, \
         MIN(r.period_start) AS first, MAX(r.period_end) AS last \
         FROM records r JOIN households h ON h.id = r.household_id JOIN agencies a ON a.id = r.agency_id \
         WHERE r.withdrawn_at IS NULL",
    );
    if let Some(from) = from {
        sql.push(" AND r.period_end >= ").bind(from);
    }
    if let Some(to) = to {
        sql.push(" AND r.period_start <= ").bind(to);
    }
    sql.push(" GROUP BY a.code, r.assistance_type, r.governorate_code, r.locality_code");
    sql.load(conn)
}
