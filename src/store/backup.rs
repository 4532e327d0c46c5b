//! The SQL of `bawaba backup` and `bawaba restore` on the embedded SQLite database: `VACUUM
//! INTO` writes a consistent copy of the database as one read transaction sees it (so a gateway
//! may keep serving meanwhile), and `PRAGMA integrity_check` tells a whole file from a damaged one.

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{DbConn, StoreError};

/// Writes a consistent copy of the database `conn` is on into `out`, which must not exist or be
/// empty. SQLite only.
pub fn vacuum_into(conn: &mut DbConn, out: &str) -> Result<(), StoreError> {
    diesel::sql_query("VACUUM INTO $1").bind::<Text, _>(out).execute(conn)?;
    Ok(())
}

/// What `PRAGMA integrity_check` says: `["ok"]` for a whole database.
pub fn integrity_check(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    Ok(diesel::sql_query("PRAGMA integrity_check").load::<Line>(conn)?.into_iter().map(|l| l.integrity_check).collect())
}
