//! The store's schema, as numbered migrations (DESIGN §8a).
//!
//! `PRAGMA user_version` holds the number of migrations applied. Opening a
//! store applies the missing ones in one transaction each; a store whose
//! version is higher than [`VERSION`] was written by a newer withhold and is
//! refused untouched (an older binary must not rewrite what it does not know).
//! A migration, once released, is never edited: a change is a new entry.

/// Migrations in order; entry `i` takes the store from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: scans, containers, items, comments, findings, coverage, verdicts, checkpoints, triage.
    r#"
    CREATE TABLE scans (
        id            INTEGER PRIMARY KEY,
        started_at    TEXT NOT NULL,         -- RFC 3339, UTC
        ended_at      TEXT,
        target        TEXT NOT NULL,         -- site URL, export or path: what a resume must match
        mode          TEXT NOT NULL CHECK (mode IN ('full', 'rescan')),
        tool_version  TEXT NOT NULL,
        rules_version TEXT NOT NULL,
        policy_hash   TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'interrupted')),
        -- summary.json of the run without its containers and verdicts (tool,
        -- times, source, crawl, products): what `withhold report` shows of it.
        run           TEXT
    );
    CREATE TABLE containers (
        id             INTEGER PRIMARY KEY,
        product        TEXT NOT NULL,
        kind           TEXT NOT NULL,        -- space, project, app, connector, directory
        key            TEXT NOT NULL,        -- space key, project key, connector id
        product_id     TEXT NOT NULL,        -- the product's own id (space id, project id)
        name           TEXT NOT NULL,        -- as the outputs show it: masked unless revealed
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
        -- No title: it may hold a matched value (a page titled with a
        -- client's name). URLs are built from ids and keys only.
        url            TEXT NOT NULL,
        version        INTEGER,              -- Confluence version.number
        updated        TEXT,                 -- Jira `updated`
        content_hash   BLOB,                 -- of the extracted text, to tell a real change
        failed         TEXT,                 -- why it (or part of it) could not be read; NULL: read
        first_scan     INTEGER NOT NULL REFERENCES scans(id),
        last_seen_scan INTEGER NOT NULL REFERENCES scans(id),
        removed_scan   INTEGER REFERENCES scans(id),
        PRIMARY KEY (container_id, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        container_id   INTEGER NOT NULL REFERENCES containers(id),
        item_id        TEXT NOT NULL,
        comment_id     TEXT NOT NULL,
        version        INTEGER,              -- Confluence comment version.number
        last_seen_scan INTEGER NOT NULL REFERENCES scans(id),
        removed_scan   INTEGER REFERENCES scans(id),
        PRIMARY KEY (container_id, item_id, comment_id)
    ) WITHOUT ROWID;
    -- The findings a site holds now and held before: a value found again
    -- in a rescan keeps its row (last_scan moves on), one no longer found is
    -- resolved. "New since scan N" is first_scan > N.
    CREATE TABLE findings (
        id            INTEGER PRIMARY KEY,
        container_id  INTEGER NOT NULL REFERENCES containers(id),
        item_id       TEXT NOT NULL,
        comment_id    TEXT NOT NULL,         -- '' for the item's own fields
        field         TEXT NOT NULL,
        url           TEXT NOT NULL,
        rule          TEXT NOT NULL,
        entity        TEXT NOT NULL,
        category      TEXT NOT NULL,
        severity      TEXT NOT NULL,
        confidence    REAL NOT NULL,
        test_value    INTEGER NOT NULL,      -- a documentation or test value
        start         INTEGER NOT NULL,
        end           INTEGER NOT NULL,
        masked        TEXT NOT NULL,
        fingerprint   BLOB NOT NULL,         -- keyed hash: the value is recognised, never stored
        raw           TEXT,                  -- only with --reveal
        customer_visible INTEGER,            -- JSM comments: jsdPublic
        reply_to      TEXT,                  -- Confluence replies: the comment answered
        first_scan    INTEGER NOT NULL REFERENCES scans(id),
        last_scan     INTEGER NOT NULL REFERENCES scans(id),
        resolved_scan INTEGER REFERENCES scans(id)
    );
    CREATE INDEX findings_by_part ON findings (container_id, item_id, comment_id);
    CREATE INDEX findings_by_fingerprint ON findings (fingerprint);
    CREATE INDEX findings_by_first_scan ON findings (first_scan);
    CREATE INDEX findings_by_resolved_scan ON findings (resolved_scan);
    -- What one scan could not read of a container, beside its items' own
    -- failures: a listing cut short, an inventory-only connector.
    CREATE TABLE coverage (
        scan_id       INTEGER NOT NULL REFERENCES scans(id),
        container_id  INTEGER NOT NULL REFERENCES containers(id),
        status        TEXT NOT NULL,
        items_seen    INTEGER NOT NULL,
        items_scanned INTEGER NOT NULL,
        items_failed  INTEGER NOT NULL,
        reasons       TEXT NOT NULL,         -- JSON array of strings
        PRIMARY KEY (scan_id, container_id)
    ) WITHOUT ROWID;
    CREATE TABLE verdicts (
        scan_id        INTEGER NOT NULL REFERENCES scans(id),
        container_id   INTEGER NOT NULL REFERENCES containers(id),
        level          TEXT NOT NULL,
        recommendation TEXT NOT NULL,
        score          INTEGER NOT NULL,
        PRIMARY KEY (scan_id, container_id)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        scan_id      INTEGER NOT NULL REFERENCES scans(id),
        listing      TEXT NOT NULL,          -- which listing (named by the crawler)
        cursor       TEXT,                   -- where to go on; NULL once read to the end
        PRIMARY KEY (scan_id, listing)
    ) WITHOUT ROWID;
    CREATE TABLE triage (
        id          INTEGER PRIMARY KEY,
        fingerprint BLOB NOT NULL,
        container   TEXT,                    -- product:key; NULL: everywhere
        decision    TEXT NOT NULL CHECK (decision IN ('false-positive', 'accepted-risk')),
        note        TEXT NOT NULL,
        decided_by  TEXT NOT NULL,
        decided_at  TEXT NOT NULL,
        source      TEXT NOT NULL DEFAULT 'triage',   -- 'triage' or 'allow-file'
        UNIQUE (fingerprint, container)
    );
    "#,
];

/// The schema version this build writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;
