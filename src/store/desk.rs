//! The review desk's table (issue 15): review batches, kept so a batch can be undone, and the
//! few look-ups the desk needs beside `queries`.

use diesel::prelude::*;

use super::DbConn;
use super::schema::{households, records};

type QResult<T> = Result<T, diesel::result::Error>;

diesel::table! {
    review_batches (id) {
        id -> Text,
        agency_id -> Nullable<Text>,
        key_id -> Nullable<Text>,
        role -> Text,
        decision -> Text,
        body -> Text,
        created_at -> Text,
        undone_at -> Nullable<Text>,
    }
}

/// One review batch: who decided, what, and what it did (`body`, JSON of ids).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_batches)]
pub struct ReviewBatchRow {
    pub id: String,
    pub agency_id: Option<String>,
    pub key_id: Option<String>,
    pub role: String,
    pub decision: String,
    pub body: String,
    pub created_at: String,
    pub undone_at: Option<String>,
}

/// Stores a batch.
pub fn insert_batch(conn: &mut DbConn, row: &ReviewBatchRow) -> QResult<()> {
    diesel::insert_into(review_batches::table).values(row).execute(conn).map(drop)
}

/// A batch by id.
pub fn batch(conn: &mut DbConn, id: &str) -> QResult<Option<ReviewBatchRow>> {
    review_batches::table.find(id).select(ReviewBatchRow::as_select()).first(conn).optional()
}

/// Batches made after `after` (by time, then id) and not undone, oldest first.
pub fn batches_after(conn: &mut DbConn, after: &ReviewBatchRow) -> QResult<Vec<ReviewBatchRow>> {
    review_batches::table
        .filter(review_batches::undone_at.is_null())
        .filter(
            review_batches::created_at
                .gt(&after.created_at)
                .or(review_batches::created_at.eq(&after.created_at).and(review_batches::id.gt(&after.id))),
        )
        .order((review_batches::created_at.asc(), review_batches::id.asc()))
        .select(ReviewBatchRow::as_select())
        .load(conn)
}

/// Marks a batch undone.
pub fn mark_undone(conn: &mut DbConn, id: &str, at: &str) -> QResult<()> {
    diesel::update(review_batches::table.find(id)).set(review_batches::undone_at.eq(Some(at))).execute(conn).map(drop)
}

/// Households marked merged into `into`.
pub fn merged_into(conn: &mut DbConn, into: &str) -> QResult<Vec<String>> {
    households::table
        .filter(households::merged_into.eq(into))
        .select(households::id)
        .order(households::id.asc())
        .load(conn)
}

/// Where a household was merged, if it was.
pub fn merged_target(conn: &mut DbConn, id: &str) -> QResult<Option<String>> {
    Ok(households::table.find(id).select(households::merged_into).first::<Option<String>>(conn).optional()?.flatten())
}

/// Sets where households are marked merged (`None`: a household of its own again).
pub fn set_merged_into(conn: &mut DbConn, ids: &[String], into: Option<&str>) -> QResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(households::table.filter(households::id.eq_any(chunk)))
            .set(households::merged_into.eq(into))
            .execute(conn)?;
    }
    Ok(())
}

/// Which of these records sit in the household.
pub fn records_in(conn: &mut DbConn, ids: &[String], household_id: &str) -> QResult<i64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += records::table
            .filter(records::id.eq_any(chunk))
            .filter(records::household_id.eq(household_id))
            .count()
            .get_result::<i64>(conn)?;
    }
    Ok(n)
}

/// The amounts of these records (id, amount), for the queue's priority.
pub fn amounts(conn: &mut DbConn, ids: &[String]) -> QResult<Vec<(String, Option<f64>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(records::table.filter(records::id.eq_any(chunk)).select((records::id, records::amount)).load::<(
            String,
            Option<f64>,
        )>(
            conn
        )?);
    }
    Ok(out)
}

/// Lifts a kept-apart pair.
pub fn delete_dismissed_pair(conn: &mut DbConn, a: &str, b: &str) -> QResult<()> {
    use super::schema::dismissed_pairs;
    diesel::delete(dismissed_pairs::table.find((a, b))).execute(conn).map(drop)
}

diesel::table! {
    spot_checks (id) {
        id -> Text,
        record_id -> Text,
        household_id -> Text,
        band -> Text,
        score -> Double,
        drawn_at -> Text,
        drawn_by -> Nullable<Text>,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Text>,
        answered_by -> Nullable<Text>,
    }
}

/// A blind spot check of an automatic link.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spot_checks)]
pub struct SpotCheckRow {
    pub id: String,
    pub record_id: String,
    pub household_id: String,
    pub band: String,
    pub score: f64,
    pub drawn_at: String,
    pub drawn_by: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
}

/// Records that joined a household older than themselves (an automatic link, or a merge),
/// newest first, at most `limit`; in the scope when one is given. (record id, household id)
/// A record is one when its household holds a record stored before it (ids are time-ordered);
/// the household's creation time alone does not tell, as a record posted in the same
/// millisecond as the one that made its household has the same time.
pub fn linked_records(
    conn: &mut DbConn,
    scope: Option<&super::queries::ScopeCodes>,
    limit: i64,
) -> QResult<Vec<(String, String)>> {
    let mut q = records::table
        .inner_join(households::table.on(households::id.eq(records::household_id)))
        .filter(households::created_at.le(records::created_at))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM records earlier WHERE earlier.household_id = records.household_id \
             AND earlier.id < records.id)",
        ))
        .filter(records::withdrawn_at.is_null())
        .select((records::id, records::household_id))
        .order(records::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = scope {
        q = q.filter(
            records::governorate_code
                .eq_any(s.governorates.clone())
                .or(records::locality_code.eq_any(s.localities.clone())),
        );
    }
    q.load(conn)
}

/// Record ids already drawn for a spot check.
pub fn spot_checked_records(conn: &mut DbConn) -> QResult<Vec<String>> {
    spot_checks::table.select(spot_checks::record_id).load(conn)
}

/// Bodies of the batches not undone (to tell merges made in review from automatic links).
pub fn live_batch_bodies(conn: &mut DbConn) -> QResult<Vec<String>> {
    review_batches::table.filter(review_batches::undone_at.is_null()).select(review_batches::body).load(conn)
}

/// Stores spot checks.
pub fn insert_spot_checks(conn: &mut DbConn, rows: &[SpotCheckRow]) -> QResult<()> {
    for r in rows {
        diesel::insert_into(spot_checks::table).values(r).execute(conn)?;
    }
    Ok(())
}

/// A spot check by id.
pub fn spot_check(conn: &mut DbConn, id: &str) -> QResult<Option<SpotCheckRow>> {
    spot_checks::table.find(id).select(SpotCheckRow::as_select()).first(conn).optional()
}

/// Spot checks not answered yet, oldest first.
pub fn open_spot_checks(conn: &mut DbConn, limit: i64) -> QResult<Vec<SpotCheckRow>> {
    spot_checks::table
        .filter(spot_checks::answer.is_null())
        .order((spot_checks::drawn_at.asc(), spot_checks::id.asc()))
        .limit(limit)
        .select(SpotCheckRow::as_select())
        .load(conn)
}

/// Records an answer.
pub fn answer_spot_check(conn: &mut DbConn, id: &str, answer: &str, at: &str, by: Option<&str>) -> QResult<()> {
    diesel::update(spot_checks::table.find(id))
        .set((
            spot_checks::answer.eq(Some(answer)),
            spot_checks::answered_at.eq(Some(at)),
            spot_checks::answered_by.eq(by),
        ))
        .execute(conn)
        .map(drop)
}

/// (band, answer) of every answered spot check.
pub fn spot_check_answers(conn: &mut DbConn) -> QResult<Vec<(String, String)>> {
    Ok(spot_checks::table
        .filter(spot_checks::answer.is_not_null())
        .select((spot_checks::band, spot_checks::answer))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(b, a)| a.map(|a| (b, a)))
        .collect())
}

/// (band, status) of every reviewed possible_same_household flag.
pub fn household_decisions(conn: &mut DbConn) -> QResult<Vec<(String, String)>> {
    use super::schema::flags;
    flags::table
        .filter(flags::kind.eq("possible_same_household"))
        .filter(flags::status.eq_any(vec!["confirmed", "dismissed"]))
        .select((flags::band, flags::status))
        .load(conn)
}

/// possible_same_household flags raised and still standing (open or decided): the queue the
/// decisions were drawn from.
pub fn household_flags_raised(conn: &mut DbConn) -> QResult<i64> {
    use super::schema::flags;
    flags::table
        .filter(flags::kind.eq("possible_same_household"))
        .filter(flags::status.eq_any(vec!["open", "confirmed", "dismissed"]))
        .count()
        .get_result(conn)
}

/// Records that joined a household older than themselves and stand: the automatic links spot
/// checks are drawn from (as `linked_records` finds them, counted).
pub fn automatic_links(conn: &mut DbConn) -> QResult<i64> {
    records::table
        .inner_join(households::table.on(households::id.eq(records::household_id)))
        .filter(households::created_at.le(records::created_at))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM records earlier WHERE earlier.household_id = records.household_id \
             AND earlier.id < records.id)",
        ))
        .filter(records::withdrawn_at.is_null())
        .count()
        .get_result(conn)
}

/// Answered spot checks, newest first, at most `limit`: (record id, household id, answer).
pub fn answered_spot_checks(conn: &mut DbConn, limit: i64) -> QResult<Vec<(String, String, String)>> {
    Ok(spot_checks::table
        .filter(spot_checks::answer.is_not_null())
        .order(spot_checks::answered_at.desc())
        .limit(limit)
        .select((spot_checks::record_id, spot_checks::household_id, spot_checks::answer))
        .load::<(String, String, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(r, h, a)| a.map(|a| (r, h, a)))
        .collect())
}

/// Reviewed possible_same_household flags, newest first, at most `limit`:
/// (record id, matched household id, status).
pub fn household_reviews(conn: &mut DbConn, limit: i64) -> QResult<Vec<(String, String, String)>> {
    use super::schema::flags;
    flags::table
        .filter(flags::kind.eq("possible_same_household"))
        .filter(flags::status.eq_any(vec!["confirmed", "dismissed"]))
        .order(flags::id.desc())
        .limit(limit)
        .select((flags::record_id, flags::matched_household_id, flags::status))
        .load(conn)
}
