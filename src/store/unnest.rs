//! A transaction's new rows in one statement on PostgreSQL (see `queries::insert_new_rows`).
//!
//! A single post's rows went in one `INSERT` per table: seven statements, each a round trip to
//! the server, and on a busy machine each round trip also waits for the server's process to be
//! scheduled. Under single posts at 600 a second the intake writer spent half its time on the
//! processor sending statements and waiting for their answers, and its transactions, a record
//! or two each, took 1.8 ms. Here every table's rows go as one array per column, unnested into
//! the table, the tables written by one statement of data-modifying `WITH` clauses: one round
//! trip whatever the number of tables and rows. Its text never changes (each table is there,
//! with no rows when it has none), so the connection keeps it prepared: it is parsed and
//! planned once. The foreign keys are checked at the end of the statement, when every table's
//! rows are in.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

use super::queries::NewRows;

/// One column's values, in the rows' order.
enum Values<'a> {
    Text(Vec<&'a str>),
    MaybeText(Vec<Option<&'a str>>),
    BigInt(Vec<i64>),
    Int(Vec<i32>),
    MaybeInt(Vec<Option<i32>>),
    Double(Vec<f64>),
    MaybeDouble(Vec<Option<f64>>),
}

macro_rules! values_from {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(impl<'a> From<Vec<$t>> for Values<'a> {
            fn from(v: Vec<$t>) -> Self {
                Values::$variant(v)
            }
        })*
    };
}

values_from!(
    &'a str => Text,
    Option<&'a str> => MaybeText,
    i64 => BigInt,
    i32 => Int,
    Option<i32> => MaybeInt,
    f64 => Double,
    Option<f64> => MaybeDouble,
);

/// A column: its name and its value in each row.
fn col<'a, R, T>(name: &'static str, rows: &'a [R], value: impl Fn(&'a R) -> T) -> (&'static str, Values<'a>)
where
    Vec<T>: Into<Values<'a>>,
{
    (name, rows.iter().map(value).collect::<Vec<T>>().into())
}

/// One table's insert.
struct Table<'a> {
    name: &'static str,
    columns: Vec<(&'static str, Values<'a>)>,
}

impl<'a> Table<'a> {
    /// `INSERT INTO name (columns) SELECT * FROM unnest(one array per column)`.
    fn walk<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(self.name);
        out.push_sql(" (");
        for (i, (name, _)) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql(name);
        }
        out.push_sql(") SELECT * FROM unnest(");
        for (i, (_, values)) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            match values {
                Values::Text(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Values::MaybeText(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v)?,
                Values::BigInt(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Values::Int(v) => out.push_bind_param::<Array<Integer>, _>(v)?,
                Values::MaybeInt(v) => out.push_bind_param::<Array<Nullable<Integer>>, _>(v)?,
                Values::Double(v) => out.push_bind_param::<Array<Double>, _>(v)?,
                Values::MaybeDouble(v) => out.push_bind_param::<Array<Nullable<Double>>, _>(v)?,
            }
        }
        out.push_sql(")");
        Ok(())
    }
}

/// Every table of [`NewRows`], in the order their references need (the order does not matter
/// to the checks, made at the statement's end, but it is the order the rows are written in).
pub(crate) struct AllRows<'a> {
    tables: [Table<'a>; 7],
}

impl<'a> AllRows<'a> {
    pub(crate) fn new(rows: &'a NewRows) -> Self {
        let (h, r, p, g, e, f, a) =
            (&rows.households, &rows.records, &rows.persons, &rows.groups, &rows.evidence, &rows.flags, &rows.audits);
        let households = Table {
            name: "households",
            columns: vec![
                col("id", h, |x| x.id.as_str()),
                col("seq", h, |x| x.seq),
                col("merged_into", h, |x| x.merged_into.as_deref()),
                col("created_at", h, |x| x.created_at.as_str()),
            ],
        };
        let records = Table {
            name: "records",
            columns: vec![
                col("id", r, |x| x.id.as_str()),
                col("agency_id", r, |x| x.agency_id.as_str()),
                col("external_id", r, |x| x.external_id.as_str()),
                col("household_id", r, |x| x.household_id.as_str()),
                col("body_hash", r, |x| x.body_hash.as_str()),
                col("answer", r, |x| x.answer.as_str()),
                col("assistance_type", r, |x| x.assistance_type.as_str()),
                col("program", r, |x| x.program.as_deref()),
                col("amount", r, |x| x.amount),
                col("currency", r, |x| x.currency.as_deref()),
                col("period_start", r, |x| x.period_start.as_str()),
                col("period_end", r, |x| x.period_end.as_str()),
                col("governorate", r, |x| x.governorate.as_deref()),
                col("locality", r, |x| x.locality.as_deref()),
                col("created_at", r, |x| x.created_at.as_str()),
                col("governorate_code", r, |x| x.governorate_code.as_deref()),
                col("locality_code", r, |x| x.locality_code.as_deref()),
            ],
        };
        let persons = Table {
            name: "persons",
            columns: vec![
                col("id", p, |x| x.id),
                col("record_id", p, |x| x.record_id.as_str()),
                col("household_id", p, |x| x.household_id.as_str()),
                col("position", p, |x| x.position),
                col("role", p, |x| x.role.as_str()),
                col("name", p, |x| x.name.as_str()),
                col("national_id", p, |x| x.national_id.as_deref()),
                col("date_of_birth", p, |x| x.date_of_birth.as_deref()),
                col("sex", p, |x| x.sex.as_deref()),
                col("phone", p, |x| x.phone.as_deref()),
                col("national_id_hash", p, |x| x.national_id_hash.as_deref()),
                col("phone_hash", p, |x| x.phone_hash.as_deref()),
                col("groups", p, |x| x.groups.as_deref()),
            ],
        };
        let groups = Table {
            name: "record_groups",
            columns: vec![col("record_id", g, |x| x.record_id.as_str()), col("grp", g, |x| x.grp.as_str())],
        };
        let evidence = Table {
            name: "match_evidence",
            columns: vec![col("id", e, |x| x.id.as_str()), col("body", e, |x| x.body.as_str())],
        };
        let flags = Table {
            name: "flags",
            columns: vec![
                col("id", f, |x| x.id.as_str()),
                col("record_id", f, |x| x.record_id.as_str()),
                col("household_id", f, |x| x.household_id.as_str()),
                col("kind", f, |x| x.kind.as_str()),
                col("band", f, |x| x.band.as_str()),
                col("score", f, |x| x.score),
                col("matched_household_id", f, |x| x.matched_household_id.as_str()),
                col("matched_record_id", f, |x| x.matched_record_id.as_deref()),
                col("matched_agency_id", f, |x| x.matched_agency_id.as_deref()),
                col("overlap_type", f, |x| x.overlap_type.as_deref()),
                col("overlap_from", f, |x| x.overlap_from.as_deref()),
                col("overlap_to", f, |x| x.overlap_to.as_deref()),
                col("evidence", f, |x| x.evidence.as_str()),
                col("status", f, |x| x.status.as_str()),
                col("created_at", f, |x| x.created_at.as_str()),
                col("matched_records", f, |x| x.matched_records),
                col("evidence_id", f, |x| x.evidence_id.as_deref()),
            ],
        };
        let audits = Table {
            name: "audit_events",
            columns: vec![
                col("id", a, |x| x.id.as_str()),
                col("at", a, |x| x.at.as_str()),
                col("agency_id", a, |x| x.agency_id.as_deref()),
                col("key_id", a, |x| x.key_id.as_deref()),
                col("role", a, |x| x.role.as_str()),
                col("action", a, |x| x.action.as_str()),
                col("target", a, |x| x.target.as_deref()),
                col("detail", a, |x| x.detail.as_deref()),
                col("user_id", a, |x| x.user_id.as_deref()),
                col("address", a, |x| x.address.as_deref()),
            ],
        };
        AllRows { tables: [households, records, persons, groups, evidence, flags, audits] }
    }

    /// Writes them all: one round trip.
    pub(crate) fn insert(self, conn: &mut diesel::PgConnection) -> QueryResult<()> {
        self.execute(conn).map(drop)
    }
}

impl QueryFragment<Pg> for AllRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let (last, before) = self.tables.split_last().expect("seven tables");
        for (i, table) in before.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            table.walk(&mut out)?;
            out.push_sql(")");
        }
        out.push_sql(" ");
        last.walk(&mut out)
    }
}

impl QueryId for AllRows<'_> {
    type QueryId = ();
    // Not a type of its own: the connection keeps the statement under its text, which is
    // always the same.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for AllRows<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for AllRows<'_> {}
