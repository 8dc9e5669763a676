//! The store: one SQLite file holding imported records, their sources and the KEV catalogue.
//!
//! Tables: `meta` (schema version), `sources` (one row per imported file), `advisories` (one
//! row per record and source), `cpe_criteria` (vulnerable CPE criteria with version ranges;
//! device-level `o:`/`h:` pairs among them), `package_affects` (OSV and secdb packages with
//! ranges), `kev`. Re-importing a record replaces it; each file is one transaction.

use std::io::Read;
use std::path::{Path, PathBuf};

use hallmark_model::facts::{Cvss, KevEntry, SnapshotInfo};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::error::VulnError;
use crate::import::{self, Format, ImportLimits, Parsed, Range};

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    kind TEXT NOT NULL, file TEXT NOT NULL, format TEXT NOT NULL, records INTEGER NOT NULL,
    snapshot TEXT, imported_at TEXT NOT NULL, PRIMARY KEY (kind, file));
CREATE TABLE IF NOT EXISTS advisories (
    source TEXT NOT NULL, id TEXT NOT NULL, published TEXT, modified TEXT, status TEXT,
    summary TEXT, cvss TEXT, aliases TEXT NOT NULL, file TEXT NOT NULL,
    PRIMARY KEY (source, id));
CREATE TABLE IF NOT EXISTS cpe_criteria (
    source TEXT NOT NULL, advisory TEXT NOT NULL, part TEXT NOT NULL, vendor TEXT NOT NULL,
    product TEXT NOT NULL, criteria TEXT NOT NULL, start_including TEXT, start_excluding TEXT,
    end_including TEXT, end_excluding TEXT, requires TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cpe_by_product ON cpe_criteria (vendor, product);
CREATE INDEX IF NOT EXISTS cpe_by_advisory ON cpe_criteria (source, advisory);
CREATE TABLE IF NOT EXISTS package_affects (
    source TEXT NOT NULL, advisory TEXT NOT NULL, ecosystem TEXT NOT NULL, release TEXT,
    name TEXT NOT NULL, purl TEXT, ranges TEXT NOT NULL, versions TEXT NOT NULL,
    file TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS package_by_name ON package_affects (name);
CREATE INDEX IF NOT EXISTS package_by_advisory ON package_affects (source, advisory);
CREATE TABLE IF NOT EXISTS kev (
    cve TEXT PRIMARY KEY, vendor TEXT NOT NULL, product TEXT NOT NULL, name TEXT NOT NULL,
    date_added TEXT NOT NULL, ransomware TEXT, file TEXT NOT NULL);
";

/// Where the store is: `explicit` (`--vuln-db`), else `$HALLMARK_VULN_DB`, else
/// `$XDG_DATA_HOME/hallmark/vuln.sqlite3`, else `$HOME/.local/share/hallmark/vuln.sqlite3`.
pub fn resolve_path(explicit: Option<&Path>) -> Result<PathBuf, VulnError> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = var("HALLMARK_VULN_DB") {
        return Ok(path);
    }
    if let Some(dir) = var("XDG_DATA_HOME").filter(|d| d.is_absolute()) {
        return Ok(dir.join("hallmark").join("vuln.sqlite3"));
    }
    var("HOME")
        .map(|home| home.join(".local/share/hallmark/vuln.sqlite3"))
        .ok_or(VulnError::NoDataDir)
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The file.
    pub file: String,
    /// The format detected.
    pub format: Format,
    /// Records read.
    pub records: u64,
    /// The data's snapshot date, when it says.
    pub snapshot: Option<String>,
}

/// Counts of what the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreStatus {
    /// The store's path.
    pub path: String,
    /// Schema version.
    pub schema_version: String,
    /// Imported files.
    pub sources: Vec<SnapshotInfo>,
    /// Records per source kind (`nvd`, `osv`, `alpine-secdb`), sorted.
    pub advisories: Vec<(String, u64)>,
    /// CPE criteria stored.
    pub cpe_criteria: u64,
    /// Device-level records (`o:`/`h:` pairs).
    pub device_records: u64,
    /// Affected-package entries (OSV, secdb).
    pub package_entries: u64,
    /// KEV entries.
    pub kev_entries: u64,
}

/// A stored CPE criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CriterionRow {
    pub source: String,
    pub advisory: String,
    pub criteria: String,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
    pub requires: Vec<String>,
}

/// A stored affected package.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackageRow {
    pub source: String,
    pub advisory: String,
    pub ecosystem: String,
    pub release: Option<String>,
    pub name: String,
    pub purl: Option<String>,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
}

/// A stored advisory's details.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct AdvisoryRow {
    pub summary: Option<String>,
    pub cvss: Option<Cvss>,
    pub aliases: Vec<String>,
    pub status: Option<String>,
}

/// The vulnerability store.
pub struct Store {
    conn: Connection,
    name: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.name).finish()
    }
}

impl Store {
    /// Opens the store at `path` for writing, creating it (and its directory) if needed.
    pub fn open(path: &Path) -> Result<Store, VulnError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| VulnError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let name = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| VulnError::Db {
            path: name.clone(),
            source,
        })?;
        Store::init(conn, name)
    }

    /// Opens an existing store read-only; `None` when there is no file at `path`.
    pub fn open_existing(path: &Path) -> Result<Option<Store>, VulnError> {
        if !path.is_file() {
            return Ok(None);
        }
        let name = path.display().to_string();
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(
            |source| VulnError::Db {
                path: name.clone(),
                source,
            },
        )?;
        let store = Store { conn, name };
        store.check_schema()?;
        Ok(Some(store))
    }

    /// A store in memory (tests, one-off scans).
    pub fn in_memory() -> Result<Store, VulnError> {
        let conn = Connection::open_in_memory().map_err(|source| VulnError::Db {
            path: ":memory:".into(),
            source,
        })?;
        Store::init(conn, ":memory:".into())
    }

    /// The store's path as given.
    pub fn path(&self) -> &str {
        &self.name
    }

    fn db(&self) -> impl Fn(rusqlite::Error) -> VulnError + '_ {
        |source| VulnError::Db {
            path: self.name.clone(),
            source,
        }
    }

    fn init(conn: Connection, name: String) -> Result<Store, VulnError> {
        let store = Store { conn, name };
        store.conn.execute_batch(SCHEMA).map_err(store.db())?;
        store
            .conn
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )
            .map_err(store.db())?;
        store.check_schema()?;
        Ok(store)
    }

    fn check_schema(&self) -> Result<(), VulnError> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.db())?;
        match found {
            Some(v) if v == SCHEMA_VERSION => Ok(()),
            other => Err(VulnError::Schema {
                path: self.name.clone(),
                found: other.unwrap_or_else(|| "none".into()),
                expected: SCHEMA_VERSION.into(),
            }),
        }
    }

    /// Imports one file, whatever its format (detected from the content).
    pub fn import_file(
        &mut self,
        path: &Path,
        limits: &ImportLimits,
    ) -> Result<ImportSummary, VulnError> {
        let io = |source| VulnError::Io {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > limits.max_file_bytes {
            return Err(VulnError::TooLarge {
                path: path.to_owned(),
                size,
                limit: limits.max_file_bytes,
            });
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(limits.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(VulnError::TooLarge {
                path: path.to_owned(),
                size: bytes.len() as u64,
                limit: limits.max_file_bytes,
            });
        }
        self.import_bytes(path, &bytes, limits)
    }

    /// Imports `bytes` as the content of `path`.
    pub fn import_bytes(
        &mut self,
        path: &Path,
        bytes: &[u8],
        limits: &ImportLimits,
    ) -> Result<ImportSummary, VulnError> {
        let parsed = import::parse(path, bytes, limits)?;
        let file = path.display().to_string();
        self.write(&file, &parsed)?;
        Ok(ImportSummary {
            file,
            format: parsed.format,
            records: parsed.count,
            snapshot: parsed.snapshot,
        })
    }

    fn write(&mut self, file: &str, parsed: &Parsed) -> Result<(), VulnError> {
        let name = self.name.clone();
        let db = |source| VulnError::Db {
            path: name.clone(),
            source,
        };
        let source = parsed.format.source();
        let tx = self.conn.transaction().map_err(db)?;
        // What this file gave before goes: a re-import replaces it.
        tx.execute(
            "DELETE FROM package_affects WHERE source = ?1 AND file = ?2",
            params![source, file],
        )
        .map_err(db)?;
        if parsed.format == Format::Kev {
            tx.execute("DELETE FROM kev WHERE file = ?1", [file])
                .map_err(db)?;
        }
        let whole_records = matches!(
            parsed.format,
            Format::NvdApi | Format::NvdCondensed | Format::Osv
        );
        {
            let mut del_cpe = tx
                .prepare("DELETE FROM cpe_criteria WHERE source = ?1 AND advisory = ?2")
                .map_err(db)?;
            let mut del_pkg = tx
                .prepare("DELETE FROM package_affects WHERE source = ?1 AND advisory = ?2")
                .map_err(db)?;
            let mut adv = tx
                .prepare(
                    "INSERT OR REPLACE INTO advisories
                     (source, id, published, modified, status, summary, cvss, aliases, file)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db)?;
            let mut cpe = tx
                .prepare(
                    "INSERT INTO cpe_criteria (source, advisory, part, vendor, product, criteria,
                     start_including, start_excluding, end_including, end_excluding, requires)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(db)?;
            let mut pkg = tx
                .prepare(
                    "INSERT INTO package_affects (source, advisory, ecosystem, release, name,
                     purl, ranges, versions, file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(db)?;
            for r in &parsed.records {
                if whole_records {
                    del_cpe.execute(params![source, r.id]).map_err(db)?;
                    del_pkg.execute(params![source, r.id]).map_err(db)?;
                }
                adv.execute(params![
                    source,
                    r.id,
                    r.published,
                    r.modified,
                    r.status,
                    r.summary,
                    r.cvss.as_ref().map(json),
                    json(&r.aliases),
                    file
                ])
                .map_err(db)?;
                for c in &r.criteria {
                    cpe.execute(params![
                        source,
                        r.id,
                        c.cpe.part,
                        c.cpe.vendor,
                        c.cpe.product,
                        c.criteria,
                        c.start_including,
                        c.start_excluding,
                        c.end_including,
                        c.end_excluding,
                        json(&c.requires)
                    ])
                    .map_err(db)?;
                }
                for p in &r.packages {
                    pkg.execute(params![
                        source,
                        r.id,
                        p.ecosystem,
                        p.release,
                        p.name,
                        p.purl,
                        json(&p.ranges),
                        json(&p.versions),
                        file
                    ])
                    .map_err(db)?;
                }
            }
            let mut kev = tx
                .prepare(
                    "INSERT OR REPLACE INTO kev (cve, vendor, product, name, date_added,
                     ransomware, file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db)?;
            for k in &parsed.kev {
                kev.execute(params![
                    k.cve,
                    k.vendor,
                    k.product,
                    k.name,
                    k.date_added,
                    k.ransomware,
                    file
                ])
                .map_err(db)?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO sources (kind, file, format, records, snapshot, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                source,
                file,
                parsed.format.id(),
                i64::try_from(parsed.count).unwrap_or(i64::MAX),
                parsed.snapshot,
                crate::time::utc_now()
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// Every imported file, sorted by source kind and file.
    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>, VulnError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, file, records, snapshot, imported_at FROM sources
                 ORDER BY kind, file",
            )
            .map_err(self.db())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SnapshotInfo {
                    source: r.get(0)?,
                    file: r.get(1)?,
                    records: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    snapshot: r.get(3)?,
                    imported_at: r.get(4)?,
                })
            })
            .map_err(self.db())?;
        rows.collect::<Result<_, _>>().map_err(self.db())
    }

    fn count(&self, sql: &str) -> Result<u64, VulnError> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(self.db())
    }

    /// What the store holds.
    pub fn status(&self) -> Result<StoreStatus, VulnError> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, COUNT(*) FROM advisories GROUP BY source ORDER BY source")
            .map_err(self.db())?;
        let advisories = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })
            .map_err(self.db())?
            .collect::<Result<_, _>>()
            .map_err(self.db())?;
        Ok(StoreStatus {
            path: self.name.clone(),
            schema_version: SCHEMA_VERSION.into(),
            sources: self.snapshots()?,
            advisories,
            cpe_criteria: self.count("SELECT COUNT(*) FROM cpe_criteria")?,
            device_records: self.count(DEVICE_COUNT)?,
            package_entries: self.count("SELECT COUNT(*) FROM package_affects")?,
            kev_entries: self.count("SELECT COUNT(*) FROM kev")?,
        })
    }

    /// The criteria naming `vendor:product`, in a stable order.
    pub(crate) fn criteria_for(
        &self,
        vendor: &str,
        product: &str,
    ) -> Result<Vec<CriterionRow>, VulnError> {
        self.criteria_where("vendor = ?1 AND product = ?2", &[vendor, product])
    }

    fn criteria_where(&self, filter: &str, args: &[&str]) -> Result<Vec<CriterionRow>, VulnError> {
        let sql = format!(
            "SELECT source, advisory, criteria, start_including, start_excluding, end_including,
             end_excluding, requires FROM cpe_criteria WHERE {filter}
             ORDER BY advisory, source, criteria, rowid"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.db())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok(CriterionRow {
                    source: r.get(0)?,
                    advisory: r.get(1)?,
                    criteria: r.get(2)?,
                    start_including: r.get(3)?,
                    start_excluding: r.get(4)?,
                    end_including: r.get(5)?,
                    end_excluding: r.get(6)?,
                    requires: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                })
            })
            .map_err(self.db())?;
        rows.collect::<Result<_, _>>().map_err(self.db())
    }

    /// Device-level records: ids, sorted, at most `limit`, and how many there are.
    pub(crate) fn device_records(&self, limit: usize) -> Result<(u64, Vec<String>), VulnError> {
        let total = self.count(DEVICE_COUNT)?;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT DISTINCT advisory FROM cpe_criteria WHERE {DEVICE_FILTER}
                 ORDER BY advisory LIMIT ?1"
            ))
            .map_err(self.db())?;
        let ids = stmt
            .query_map([i64::try_from(limit).unwrap_or(0)], |r| {
                r.get::<_, String>(0)
            })
            .map_err(self.db())?
            .collect::<Result<_, _>>()
            .map_err(self.db())?;
        Ok((total, ids))
    }

    /// Device-level criteria of `vendor:product`.
    pub(crate) fn device_criteria_for(
        &self,
        vendor: &str,
        product: &str,
    ) -> Result<Vec<CriterionRow>, VulnError> {
        self.criteria_where(
            &format!("vendor = ?1 AND product = ?2 AND ({DEVICE_FILTER})"),
            &[vendor, product],
        )
    }

    /// Affected packages named `name`.
    pub(crate) fn packages_named(&self, name: &str) -> Result<Vec<PackageRow>, VulnError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT source, advisory, ecosystem, release, name, purl, ranges, versions
                 FROM package_affects WHERE name = ?1 ORDER BY advisory, source, release, rowid",
            )
            .map_err(self.db())?;
        let rows = stmt
            .query_map([name], |r| {
                Ok(PackageRow {
                    source: r.get(0)?,
                    advisory: r.get(1)?,
                    ecosystem: r.get(2)?,
                    release: r.get(3)?,
                    name: r.get(4)?,
                    purl: r.get(5)?,
                    ranges: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                    versions: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                })
            })
            .map_err(self.db())?;
        rows.collect::<Result<_, _>>().map_err(self.db())
    }

    /// The advisory `id` from `source`.
    pub(crate) fn advisory(
        &self,
        source: &str,
        id: &str,
    ) -> Result<Option<AdvisoryRow>, VulnError> {
        self.conn
            .query_row(
                "SELECT summary, cvss, aliases, status FROM advisories WHERE source = ?1 AND id = ?2",
                [source, id],
                |r| {
                    Ok(AdvisoryRow {
                        summary: r.get(0)?,
                        cvss: r
                            .get::<_, Option<String>>(1)?
                            .and_then(|c| serde_json::from_str(&c).ok()),
                        aliases: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                        status: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(self.db())
    }

    /// The KEV entry of `cve`.
    pub(crate) fn kev(&self, cve: &str) -> Result<Option<KevEntry>, VulnError> {
        self.conn
            .query_row(
                "SELECT date_added, ransomware, name FROM kev WHERE cve = ?1",
                [cve],
                |r| {
                    Ok(KevEntry {
                        date_added: r.get(0)?,
                        ransomware: r.get(1)?,
                        name: r.get::<_, Option<String>>(2)?.filter(|n| !n.is_empty()),
                    })
                },
            )
            .optional()
            .map_err(self.db())
    }
}

/// Criteria that describe a device: hardware, or firmware that needs a hardware pair.
const DEVICE_FILTER: &str = "part = 'h' OR (part = 'o' AND requires LIKE '%cpe:2.3:h:%')";
const DEVICE_COUNT: &str = "SELECT COUNT(*) FROM (SELECT DISTINCT source, advisory FROM \
                            cpe_criteria WHERE part = 'h' OR (part = 'o' AND requires LIKE \
                            '%cpe:2.3:h:%'))";

/// A stored JSON column (values this crate builds, which always serialise).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
