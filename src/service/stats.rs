//! PostgreSQL's planner statistics, kept fresh by the gateway itself.
//!
//! PostgreSQL plans a query from each table's statistics, which `ANALYZE` gathers; left to
//! autovacuum they may be missing or stale. A server whose autovacuum is off (as on the
//! project's own machines) never has any, and an intake of a whole caseload grows the tables
//! tenfold between two of autovacuum's looks. Without them the planner takes
//! `household_id = ANY($1)` to hold half a percent of the persons per id and reads a search's
//! or a household view's members by a scan of the whole table: at 1.64 million people a search
//! took 280 ms on average (p99 0.9 s), and 2.9 ms (p99 under 10 ms) after one `ANALYZE` of
//! about two seconds.
//!
//! So a thread of the gateway's own ([`start`]) looks every [`EVERY`] at how many rows of each
//! table changed since it was last analysed (`pg_stat_user_tables`, which counts autovacuum's
//! analyses too) and analyses each one past autovacuum's own default threshold (50 rows and a
//! tenth of the table): the rule autovacuum applies, applied whether it runs or not. An
//! `ANALYZE` reads a sample of a table (30,000 rows by default), takes no lock that reads or
//! writes wait for, and runs on a connection of its own, beside the writer. SQLite plans the
//! project's queries on its indexes without such statistics: none of this runs there.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::metrics::Metrics;
use crate::store::queries;
use crate::store::{Backend, DbTarget, StoreError};

/// How often the thread looks.
pub const EVERY: Duration = Duration::from_secs(5);
/// How soon the thread sees that the gateway stopped.
const TICK: Duration = Duration::from_millis(200);

/// Whether a table with `live` rows of which `changed` changed since its last `ANALYZE` is due
/// one: autovacuum's default threshold (`autovacuum_analyze_threshold` 50 rows plus
/// `autovacuum_analyze_scale_factor` 0.1 of the table).
pub fn due(live: i64, changed: i64) -> bool {
    changed as f64 > 50.0 + 0.1 * live.max(0) as f64
}

/// Starts the thread on PostgreSQL (nothing on SQLite); it ends when `alive` has no owner left.
/// Each look opens a connection and closes it after: none is held between looks (nor one of
/// the read pool, which would keep the pool open as long as the thread).
pub fn start(target: &DbTarget, metrics: Arc<Metrics>, alive: Weak<()>) -> Result<(), StoreError> {
    if target.backend != Backend::Postgres {
        return Ok(());
    }
    let target = target.clone();
    std::thread::Builder::new()
        .name("bawaba-stats".into())
        .spawn(move || {
            // A failure is told once until the next success (a read-only standby refuses every
            // `ANALYZE`; the writer's server does not).
            let mut failing = false;
            let mut next = Instant::now() + EVERY;
            while alive.strong_count() > 0 {
                // Short sleeps, so the thread ends soon after the gateway.
                if Instant::now() < next {
                    std::thread::sleep(TICK);
                    continue;
                }
                next = Instant::now() + EVERY;
                match look(&target, &metrics) {
                    Ok(()) => failing = false,
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "the planner's statistics could not be gathered");
                    }
                    Err(_) => {}
                }
            }
        })
        .map_err(|e| StoreError::Connection(format!("cannot start the statistics thread: {e}")))?;
    Ok(())
}

/// One look, on a connection of its own: each table past the threshold analysed.
fn look(target: &DbTarget, metrics: &Metrics) -> Result<(), StoreError> {
    let mut conn = target.connect()?;
    for t in queries::table_changes(&mut conn)?.iter().filter(|t| due(t.live, t.changed)) {
        let started = Instant::now();
        queries::analyze(&mut conn, &t.name)?;
        metrics.tables_analyzed.inc();
        tracing::debug!(
            table = t.name,
            rows = t.live,
            changed = t.changed,
            ms = started.elapsed().as_millis() as u64,
            "table analysed for the planner"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::due;

    #[test]
    fn a_table_is_due_past_autovacuums_threshold() {
        assert!(!due(0, 50) && due(0, 51), "an empty table once 50 rows came");
        assert!(!due(1_000_000, 100_050) && due(1_000_000, 100_051), "a tenth of a large one, and 50");
        assert!(!due(-1, 0), "a table PostgreSQL has not counted yet");
    }
}
