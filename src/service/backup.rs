//! `bawaba backup` and `bawaba restore` of the embedded SQLite database.
//!
//! A backup is SQLite's `VACUUM INTO` (one read transaction: consistent while the gateway keeps
//! serving and writing), checked whole (`PRAGMA integrity_check`) before it is called done, with
//! the data key file beside it (`<backup>.key`, `0600`) so a gateway started on the backup serves
//! the same answers; `--without-key` leaves the key out, for backups kept apart from their key.
//! A restore checks the backup whole, refuses while a gateway serves the target (its lock) or
//! when the target exists without `--force`, copies the backup in beside the target and renames
//! it over (the old write-ahead log removed first, so it is never replayed onto the copy), and
//! puts the key file beside it. On PostgreSQL both are refused with where to look: `pg_dump` and
//! replicas (README, "Backups").

use std::path::{Path, PathBuf};

use super::error::ServiceError;
use super::vault::DataKey;
use crate::store::roles::ServeLock;
use crate::store::{Backend, DbTarget, backup};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupDone {
    pub file: PathBuf,
    /// The key file written beside it, unless `--without-key`.
    pub key_file: Option<PathBuf>,
    pub bytes: u64,
}

fn refuse(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::field(field, message.into())
}

fn sqlite_only(target: &DbTarget) -> Result<(), ServiceError> {
    if target.backend == Backend::Postgres {
        return Err(refuse(
            "database_url",
            "on PostgreSQL, back up with pg_dump (or a streaming replica) and restore with pg_restore: see the \
             README, \"Backups\"",
        ));
    }
    if target.url == ":memory:" || target.url.starts_with("file:") {
        return Err(refuse("database_url", "an in-memory database has nothing to back up"));
    }
    Ok(())
}

/// Creates `path` empty and readable by its owner only; refuses one that exists.
fn create_private(path: &Path, field: &str) -> Result<std::fs::File, ServiceError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            refuse(field, format!("{} exists already: give a new file", path.display()))
        }
        _ => refuse(field, format!("cannot create {}: {e}", path.display())),
    })
}

/// The data key of a SQLite database, as hex: the one given (`BAWABA_DATA_KEY`), else its key file.
fn key_hex(target: &DbTarget, given: Option<&str>) -> Result<String, ServiceError> {
    if let Some(k) = given.filter(|k| !k.trim().is_empty()) {
        return Ok(k.trim().to_owned());
    }
    let path = DataKey::file_of(&target.url);
    std::fs::read_to_string(&path).map(|t| t.trim().to_owned()).map_err(|e| {
        refuse(
            "data_key",
            format!("cannot read the data key file {}: {e} (give BAWABA_DATA_KEY, or --without-key)", path.display()),
        )
    })
}

fn write_key(path: &Path, hex: &str) -> Result<(), ServiceError> {
    use std::io::Write;
    let mut f = create_private(path, "key_file")?;
    writeln!(f, "{hex}")
        .and_then(|()| f.sync_all())
        .map_err(|e| refuse("key_file", format!("cannot write {}: {e}", path.display())))
}

fn check_whole(path: &str, field: &str) -> Result<(), ServiceError> {
    let target = DbTarget::parse(path).map_err(|e| refuse(field, e.to_string()))?;
    let mut conn = target.connect().map_err(|e| refuse(field, e.to_string()))?;
    let lines = backup::integrity_check(&mut conn).map_err(|e| refuse(field, format!("{path}: {e}")))?;
    if lines != ["ok"] {
        return Err(refuse(field, format!("{path} is damaged: {}", lines.join("; "))));
    }
    Ok(())
}

/// Writes a consistent copy of the database at `url` to `out` (see the module docs).
pub fn backup(url: &str, data_key: Option<&str>, out: &Path, with_key: bool) -> Result<BackupDone, ServiceError> {
    let target = DbTarget::parse(url).map_err(|e| refuse("database_url", e.to_string()))?;
    sqlite_only(&target)?;
    if !Path::new(&target.url).exists() {
        return Err(refuse("database_url", format!("{} does not exist", target.url)));
    }
    let key = if with_key { Some(key_hex(&target, data_key)?) } else { None };
    let key_file = DataKey::file_of(&out.to_string_lossy());
    if with_key && key_file.exists() {
        return Err(refuse("out", format!("{} exists already: give a new file", key_file.display())));
    }
    drop(create_private(out, "out")?);
    let out_text = out.to_string_lossy().into_owned();
    let written = (|| {
        let mut conn = target.connect().map_err(|e| refuse("database_url", e.to_string()))?;
        backup::vacuum_into(&mut conn, &out_text).map_err(|e| refuse("out", e.to_string()))?;
        drop(conn);
        check_whole(&out_text, "out")
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    if let Some(hex) = &key {
        write_key(&key_file, hex)?;
    }
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(BackupDone { file: out.to_owned(), key_file: key.map(|_| key_file), bytes })
}

/// Puts the backup `from` in place of the database at `url` (see the module docs).
pub fn restore(url: &str, from: &Path, force: bool) -> Result<(), ServiceError> {
    let target = DbTarget::parse(url).map_err(|e| refuse("database_url", e.to_string()))?;
    sqlite_only(&target)?;
    let from_text = from.to_string_lossy().into_owned();
    if !from.is_file() {
        return Err(refuse("from", format!("{from_text} is not a file")));
    }
    check_whole(&from_text, "from")?;
    // Held until the copy is in place: no gateway may start on the target meanwhile.
    let _lock = ServeLock::take(&target).map_err(|e| refuse("database_url", e.to_string()))?;
    let dest = PathBuf::from(&target.url);
    if dest.exists() && !force {
        return Err(refuse(
            "database_url",
            format!("{} exists: give --force to replace it with the backup", dest.display()),
        ));
    }
    let staging = PathBuf::from(format!("{}.restoring", target.url));
    let _ = std::fs::remove_file(&staging);
    drop(create_private(&staging, "database_url")?);
    let copied = (|| {
        let source = DbTarget::parse(&from_text).map_err(|e| e.to_string())?;
        let mut conn = source.connect().map_err(|e| e.to_string())?;
        backup::vacuum_into(&mut conn, &staging.to_string_lossy()).map_err(|e| e.to_string())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&staging);
        return Err(refuse("from", e));
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.url));
    }
    std::fs::rename(&staging, &dest)
        .map_err(|e| refuse("database_url", format!("cannot move the copy into place: {e}")))?;
    let from_key = DataKey::file_of(&from_text);
    if from_key.exists() {
        let hex = std::fs::read_to_string(&from_key)
            .map_err(|e| refuse("from", format!("cannot read {}: {e}", from_key.display())))?;
        let dest_key = DataKey::file_of(&target.url);
        let _ = std::fs::remove_file(&dest_key);
        write_key(&dest_key, hex.trim())?;
    }
    Ok(())
}
