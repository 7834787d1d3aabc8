//! The store: one SQLite file per site (DESIGN §8a), `withhold.db` in the
//! output directory by default.
//!
//! This module opens it safely; what the scan writes into it and what the
//! reports read from it build on [`Store`]:
//! - **one writer**: an advisory lock on `FILE.lock`, held for the life of the
//!   [`Store`] and released by the OS when the process ends (a `kill -9`
//!   leaves no stale lock). A second scan on the same store is refused with
//!   [`StoreError::Locked`] instead of waiting or interleaving its writes;
//! - **nothing overwritten that is not ours**: a file that is not an SQLite
//!   database, or a damaged one, is [`StoreError::Corrupt`]; a store written
//!   by a newer withhold is [`StoreError::Newer`]. Both leave the file as it
//!   was, byte for byte;
//! - **versioned schema**: [`schema::MIGRATIONS`], applied in order, each in
//!   its own transaction, `PRAGMA user_version` recording how far;
//! - WAL journal (readers, such as `withhold report`, never block the
//!   writer), foreign keys on.

pub mod diff;
pub mod scans;
pub mod schema;
pub mod sink;
pub mod state;
pub mod triage;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Why a store cannot be opened; each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{file}: another withhold scan is using this store (lock held on {lock}); \
         wait for it to end, or give this scan its own --db"
    )]
    Locked { file: PathBuf, lock: PathBuf },
    #[error(
        "{file}: written by a newer withhold (store version {found}, this one knows up to \
         {supported}); it was left untouched: use that version, or another --db"
    )]
    Newer {
        file: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{file}: not a readable withhold store ({detail}); it was left untouched: move it away or choose another --db")]
    Corrupt { file: PathBuf, detail: String },
    #[error("{file}: {detail}")]
    Io { file: PathBuf, detail: String },
}

/// An open store, its lock held.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Held for the advisory lock; released when dropped. `None`: opened
    /// read-only ([`Store::open_read_only`]), which takes no lock.
    _lock: Option<File>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Where the lock of the store at `db` lives.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl Store {
    /// Open (or create) the store at `path`, lock it, and bring its schema
    /// up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let file = path.to_path_buf();
        let io = |detail: std::io::Error| StoreError::Io {
            file: file.clone(),
            detail: detail.to_string(),
        };
        let lock_file = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_file)
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    file,
                    lock: lock_file,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        check_magic(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(path, e))?;
        let found: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql_error(path, e))?;
        if found > schema::VERSION {
            return Err(StoreError::Newer {
                file,
                found,
                supported: schema::VERSION,
            });
        }
        // WAL only once the version is known to be ours: switching the
        // journal rewrites the header of a file we must not touch.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| sql_error(path, e))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| sql_error(path, e))?;
        let mut store = Store {
            conn,
            path: file,
            _lock: Some(lock),
        };
        store.migrate(found)?;
        Ok(store)
    }

    /// Open an existing store to read it, without the writer's lock: WAL
    /// lets `withhold report` read the last ended scan while another scan
    /// writes the next one. Nothing is created, migrated or written; a
    /// missing file, one that is not a store, a damaged one and one of
    /// another schema version are refused naming the file.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let file = path.to_path_buf();
        match std::fs::metadata(path) {
            Ok(m) if m.len() > 0 => {}
            Ok(_) => {
                return Err(StoreError::Corrupt {
                    file,
                    detail: "the file is empty".into(),
                })
            }
            Err(e) => {
                return Err(StoreError::Io {
                    file,
                    detail: format!("{e}; is this the right --db?"),
                })
            }
        }
        check_magic(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(path, e))?;
        let found: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql_error(path, e))?;
        if found > schema::VERSION {
            return Err(StoreError::Newer {
                file,
                found,
                supported: schema::VERSION,
            });
        }
        if found < schema::VERSION {
            // Migrating is writing; a reader must not.
            return Err(StoreError::Corrupt {
                file,
                detail: format!(
                    "store version {found}, older than this withhold's {}: run a scan with it to bring the store up to date",
                    schema::VERSION
                ),
            });
        }
        // A damaged page shows only when it is read: check now, so that the
        // error names the file instead of surfacing halfway through a report.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| sql_error(path, e))?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                file,
                detail: check,
            });
        }
        Ok(Store {
            conn,
            path: file,
            _lock: None,
        })
    }

    /// Apply the migrations after version `from`.
    fn migrate(&mut self, from: u32) -> Result<(), StoreError> {
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
            let to = i as u32 + 1;
            let tx = self
                .conn
                .transaction()
                .map_err(|e| sql_error(&self.path, e))?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", to))
                .and_then(|()| tx.commit())
                .map_err(|e| sql_error(&self.path, e))?;
        }
        Ok(())
    }

    /// The schema version of the open store.
    pub fn version(&self) -> Result<u32, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql_error(&self.path, e))
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the modules that read and write the tables.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A file that exists and holds anything must start as SQLite does; an
/// empty or missing one becomes a new store.
fn check_magic(path: &Path) -> Result<(), StoreError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::Io {
                file: path.to_path_buf(),
                detail: e.to_string(),
            })
        }
    };
    let mut head = Vec::with_capacity(16);
    (&mut f)
        .take(16)
        .read_to_end(&mut head)
        .map_err(|e| StoreError::Io {
            file: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if head.is_empty() || head.as_slice() == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            file: path.to_path_buf(),
            detail: "it does not start as an SQLite database does".into(),
        })
    }
}

pub(crate) fn sql_error(path: &Path, e: rusqlite::Error) -> StoreError {
    let corrupt = matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    );
    if corrupt {
        StoreError::Corrupt {
            file: path.to_path_buf(),
            detail: e.to_string(),
        }
    } else {
        StoreError::Io {
            file: path.to_path_buf(),
            detail: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(s: &Store) -> Vec<String> {
        let mut st = s
            .connection()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn a_new_store_has_every_table_at_the_current_version_in_wal() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("withhold.db")).unwrap();
        assert_eq!(s.version().unwrap(), schema::VERSION);
        assert_eq!(
            tables(&s),
            [
                "checkpoints",
                "comments",
                "containers",
                "coverage",
                "findings",
                "items",
                "scans",
                "triage",
                "verdicts"
            ]
        );
        let mode: String = s
            .connection()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn reopening_keeps_the_data_and_applies_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        {
            let s = Store::open(&db).unwrap();
            s.connection()
                .execute(
                    "INSERT INTO scans (started_at, target, mode, tool_version, rules_version, policy_hash, status)
                     VALUES ('2026-12-04T00:00:00Z', 'https://x.atlassian.net', 'full', '0', '0', '', 'complete')",
                    [],
                )
                .unwrap();
        }
        let s = Store::open(&db).unwrap();
        let n: i64 = s
            .connection()
            .query_row("SELECT count(*) FROM scans", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn an_old_store_is_migrated_from_where_it_stands() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        // A store of version 0: an empty SQLite file with a table of its own.
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch("CREATE TABLE keep (x); INSERT INTO keep VALUES (1);")
                .unwrap();
        }
        let s = Store::open(&db).unwrap();
        assert_eq!(s.version().unwrap(), schema::VERSION);
        let x: i64 = s
            .connection()
            .query_row("SELECT x FROM keep", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 1);
    }

    #[test]
    fn a_store_of_a_newer_withhold_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        {
            let c = Connection::open(&db).unwrap();
            c.pragma_update(None, "user_version", schema::VERSION + 1)
                .unwrap();
        }
        let before = std::fs::read(&db).unwrap();
        let e = Store::open(&db).unwrap_err();
        assert!(
            matches!(e, StoreError::Newer { found, .. } if found == schema::VERSION + 1),
            "{e}"
        );
        assert!(e.to_string().contains("withhold.db"), "{e}");
        assert_eq!(std::fs::read(&db).unwrap(), before);
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        std::fs::write(&db, b"id,name\n1,not a database\n").unwrap();
        let e = Store::open(&db).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("withhold.db"), "{e}");
        assert_eq!(std::fs::read(&db).unwrap(), b"id,name\n1,not a database\n");
    }

    #[test]
    fn a_damaged_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        drop(Store::open(&db).unwrap());
        // Keep the header, wreck the pages after it.
        let mut bytes = std::fs::read(&db).unwrap();
        for b in bytes.iter_mut().skip(100) {
            *b = 0xA5;
        }
        std::fs::write(&db, &bytes).unwrap();
        let _ = std::fs::remove_file(dir.path().join("withhold.db-wal"));
        let e = Store::open(&db).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert_eq!(std::fs::read(&db).unwrap(), bytes);
    }

    #[test]
    fn a_reader_opens_a_store_a_writer_holds_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        let writer = Store::open(&db).unwrap();
        writer
            .connection()
            .execute(
                "INSERT INTO scans (started_at, target, mode, tool_version, rules_version, policy_hash, status)
                 VALUES ('2026-12-04T00:00:00Z', 'demo', 'full', '0', '0', '', 'running')",
                [],
            )
            .unwrap();
        let reader = Store::open_read_only(&db).unwrap();
        assert_eq!(reader.target().unwrap().as_deref(), Some("demo"));
        assert!(reader
            .connection()
            .execute("DELETE FROM scans", [])
            .is_err());
        drop(writer);

        let missing = Store::open_read_only(&dir.path().join("none.db")).unwrap_err();
        assert!(missing.to_string().contains("none.db"), "{missing}");
        assert!(!dir.path().join("none.db").exists());
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"not a store").unwrap();
        let e = Store::open_read_only(&other).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        let newer = dir.path().join("newer.db");
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
        let e = Store::open_read_only(&newer).unwrap_err();
        assert!(matches!(e, StoreError::Newer { .. }), "{e}");
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("withhold.db");
        let first = Store::open(&db).unwrap();
        let e = Store::open(&db).unwrap_err();
        assert!(matches!(e, StoreError::Locked { .. }), "{e}");
        assert!(e.to_string().contains("another withhold scan"), "{e}");
        drop(first);
        Store::open(&db).unwrap();
    }
}
