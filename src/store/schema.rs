//! The store's schema, as numbered migrations (DESIGN §8a).
//!
//! `PRAGMA user_version` holds the number of migrations applied. Opening a
//! store applies the missing ones in one transaction each; a store whose
//! version is higher than [`VERSION`] was written by a newer withhold and is
//! refused untouched (an older binary must not rewrite what it does not know).
//! A migration, once released, is never edited: a change is a new entry.

/// Migrations in order; entry `i` takes the store from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: scans, containers, items, findings, coverage, checkpoints, triage.
    r#"
    CREATE TABLE scans (
        id            INTEGER PRIMARY KEY,
        started_at    TEXT NOT NULL,         -- RFC 3339, UTC
        ended_at      TEXT,
        target        TEXT NOT NULL,         -- site URL, export or path: what a resume must match
        tool_version  TEXT NOT NULL,
        rules_version TEXT NOT NULL,
        policy_hash   TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'interrupted'))
    );
    CREATE TABLE containers (
        id             INTEGER PRIMARY KEY,
        product        TEXT NOT NULL,
        kind           TEXT NOT NULL,        -- space, project, app, connector, directory
        key            TEXT NOT NULL,        -- space key, project key, connector id
        product_id     TEXT NOT NULL,        -- the product's own id (space id, project id)
        name           TEXT NOT NULL,
        url            TEXT NOT NULL,
        created_at     TEXT,
        first_scan     INTEGER NOT NULL REFERENCES scans(id),
        last_seen_scan INTEGER NOT NULL REFERENCES scans(id),
        removed_scan   INTEGER REFERENCES scans(id),
        UNIQUE (product, key)
    );
    CREATE TABLE items (
        container_id   INTEGER NOT NULL REFERENCES containers(id),
        item_id        TEXT NOT NULL,
        kind           TEXT NOT NULL,
        -- No title or URL: either may hold a matched value (a page titled
        -- with a client's name); reports take them from the scan.
        version        INTEGER,              -- Confluence version.number
        updated        TEXT,                 -- Jira `updated`
        content_hash   BLOB,                 -- of the extracted text, to tell a real change
        last_seen_scan INTEGER NOT NULL REFERENCES scans(id),
        removed_scan   INTEGER REFERENCES scans(id),
        PRIMARY KEY (container_id, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE findings (
        id           INTEGER PRIMARY KEY,
        scan_id      INTEGER NOT NULL REFERENCES scans(id),
        container_id INTEGER NOT NULL REFERENCES containers(id),
        item_id      TEXT NOT NULL,
        field        TEXT NOT NULL,
        comment_id   TEXT,
        rule         TEXT NOT NULL,
        entity       TEXT NOT NULL,
        category     TEXT NOT NULL,
        severity     TEXT NOT NULL,
        confidence   REAL NOT NULL,
        test_value   INTEGER NOT NULL,       -- a documentation or test value
        start        INTEGER NOT NULL,
        end          INTEGER NOT NULL,
        masked       TEXT NOT NULL,
        fingerprint  BLOB NOT NULL,          -- keyed hash: the value is recognised, never stored
        raw          TEXT,                   -- only with --reveal
        resolved_scan INTEGER REFERENCES scans(id)
    );
    CREATE INDEX findings_by_item ON findings (container_id, item_id);
    CREATE INDEX findings_by_fingerprint ON findings (fingerprint);
    CREATE TABLE coverage (
        scan_id      INTEGER NOT NULL REFERENCES scans(id),
        container_id INTEGER NOT NULL REFERENCES containers(id),
        status        TEXT NOT NULL,
        items_seen    INTEGER NOT NULL,
        items_scanned INTEGER NOT NULL,
        items_failed  INTEGER NOT NULL,
        reasons       TEXT NOT NULL,         -- JSON array of strings
        PRIMARY KEY (scan_id, container_id)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        scan_id      INTEGER NOT NULL REFERENCES scans(id),
        container_id INTEGER NOT NULL REFERENCES containers(id),
        listing      TEXT NOT NULL,          -- which listing of the container
        cursor       TEXT,                   -- where to go on; NULL once done
        PRIMARY KEY (scan_id, container_id, listing)
    ) WITHOUT ROWID;
    CREATE TABLE triage (
        id          INTEGER PRIMARY KEY,
        fingerprint BLOB NOT NULL,
        container   TEXT,                    -- NULL: everywhere
        decision    TEXT NOT NULL CHECK (decision IN ('false-positive', 'accepted-risk')),
        note        TEXT NOT NULL,
        decided_by  TEXT NOT NULL,
        decided_at  TEXT NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;
