//! SQLite's write-ahead log, kept short beside a writer that never pauses.
//!
//! Left to itself, SQLite checkpoints on commit: the connection whose commit took the log past
//! 1,000 pages copies the log into the database file and syncs it, inside that commit, holding
//! the intake writer (and whoever waits for it) for as long as the copy takes; at scale each
//! transaction dirties pages all over the indexes, and those copies were a large part of a
//! group's commit. Here no connection checkpoints on commit (`DbTarget::wal_bytes`); a thread of
//! the gateway's own ([`start`]) does, every [`EVERY`]:
//! - a passive checkpoint copies what the log holds into the database file beside the writer
//!   and the readers, taking no lock that either waits for;
//! - but a passive checkpoint never empties a log that a writer appends to while it copies (the
//!   log starts again from its beginning only when a write finds it wholly copied: at a million
//!   people it grew to 7 GB in two minutes). So once the log is past its bound, the thread
//!   copies again (at most [`MOST_COPIES`] times, until a copy is shorter than [`SHORT`]: what
//!   came meanwhile is little), syncs the database file (a copy that leaves the log not wholly
//!   copied syncs nothing, so this sync would otherwise fall to the copy in the turn, with the
//!   writer waiting for a bound's worth of pages to reach the disk), then takes a turn at the
//!   write lock ([`WriteTurn`], between two of the writer's transactions) and copies that
//!   little: the log is then wholly copied, and the writer's next write starts it again from
//!   its beginning (SQLite does so when no reader is still in the log; when one is, the next
//!   look tries again). The copy in a turn does not wait for readers, as a `RESTART`
//!   checkpoint would.
//!
//! So the log stays near its bound ([`Settings::sqlite_wal_mb`](super::Settings), 256 MiB by
//! default) plus what the writer appends in one look of the thread, and the writer waits only
//! for the copy of the last little and the sync of what that copy wrote, once per bound's worth
//! of log. Durability is unchanged: a commit is synced to the log before it is answered, as
//! before; a checkpoint only moves what is synced, and syncs the database before the log starts
//! again. PostgreSQL keeps its own log: none of this runs there.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::audit::WriteTurn;
use crate::metrics::Metrics;
use crate::store::queries::{self, WalFrames};
use crate::store::{Backend, DbConn, DbTarget, StoreError};

/// How often the thread checkpoints.
pub const EVERY: Duration = Duration::from_millis(250);
/// A copy this short leaves so little behind it that the writer may wait for the rest.
pub const SHORT: Duration = Duration::from_millis(15);
/// Most copies before the one in a turn, however long they take (each syncs the database file,
/// which the writer's syncs of the log wait behind).
pub const MOST_COPIES: usize = 2;
/// The log's bound by default, in MiB.
pub const DEFAULT_MB: u64 = 256;

/// The checkpoint thread's state.
struct Wal {
    conn: DbConn,
    /// The log's bound, in frames (pages).
    bound: i64,
    turn: WriteTurn,
    metrics: Arc<Metrics>,
    /// The database file, to sync what the copies wrote into it before a turn; `None` when it
    /// cannot be opened (the copy in the turn then syncs it, as SQLite does).
    file: Option<std::fs::File>,
}

/// Starts the checkpoint thread for a SQLite file whose connections leave checkpoints to the
/// gateway (`target.wal_bytes` set); nothing for PostgreSQL or a database in memory. The
/// thread takes `turn`s at the write lock with the intake writer and the audit log's, and ends
/// once `alive` is gone (the gateway stopped).
pub fn start(target: &DbTarget, turn: WriteTurn, metrics: Arc<Metrics>, alive: Weak<()>) -> Result<(), StoreError> {
    let Some(bytes) = target.wal_bytes else { return Ok(()) };
    if target.backend != Backend::Sqlite || target.url == ":memory:" {
        return Ok(());
    }
    let mut conn = target.connect()?;
    let page = queries::page_size(&mut conn)?.max(512);
    // The file as SQLite opened it: the URL may be a `file:` URI with parameters.
    let file = match queries::database_file(&mut conn) {
        Ok(Some(path)) => std::fs::File::open(path)
            .inspect_err(|e| tracing::warn!(error = %e, "cannot open the database file to sync it beside the writer"))
            .ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell where the database file is, to sync it beside the writer");
            None
        }
    };
    let mut wal = Wal { conn, bound: (bytes / page as u64).max(16) as i64, turn, metrics, file };
    std::thread::Builder::new()
        .name("bawaba-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                wal.look();
                std::thread::sleep(EVERY);
            }
        })
        .map_err(|e| StoreError::Connection(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(())
}

impl Wal {
    /// One look: a passive copy, and when the log is past its bound, the restart.
    fn look(&mut self) {
        let Some((frames, mut took)) = self.checkpoint("passive") else { return };
        if i64::from(frames.log) < self.bound {
            return;
        }
        for _ in 1..MOST_COPIES {
            if took < SHORT {
                break;
            }
            let Some((_, again)) = self.checkpoint("passive") else { return };
            took = again;
        }
        self.sync();
        let turn = self.turn.clone();
        let _turn = turn.take();
        self.checkpoint("restart");
    }

    /// Syncs the database file, beside the writer: a passive copy that leaves the log not wholly
    /// copied does not sync what it wrote, so without this the one in the turn would sync the
    /// whole bound's worth of pages while the writer waits (100–140 ms at a million people).
    fn sync(&mut self) {
        let Some(file) = &self.file else { return };
        let started = Instant::now();
        if let Err(e) = file.sync_data() {
            tracing::warn!(error = %e, "the database file could not be synced before a checkpoint");
        }
        self.metrics.checkpoint_seconds.with_label_values(&["sync"]).observe(started.elapsed().as_secs_f64());
    }

    /// One checkpoint, timed; `None` when it failed (tried again at the next look: a log that
    /// cannot be copied for now is not the writers' concern).
    fn checkpoint(&mut self, kind: &str) -> Option<(WalFrames, Duration)> {
        let started = Instant::now();
        let done = queries::wal_checkpoint(&mut self.conn);
        let took = started.elapsed();
        self.metrics.checkpoint_seconds.with_label_values(&[kind]).observe(took.as_secs_f64());
        match done {
            Ok(Some(frames)) => {
                self.metrics.wal_frames.set(i64::from(frames.log));
                Some((frames, took))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "a checkpoint of the write-ahead log failed");
                None
            }
        }
    }
}
