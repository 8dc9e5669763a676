//! Errors of the vulnerability store, each naming the file or store it is about.

use std::path::PathBuf;

/// What went wrong importing, storing or matching.
#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is larger than the import limit.
    #[error("{}: {size} bytes is more than the import limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A file holds more records than the import limit.
    #[error("{}: more than {limit} records (the import limit)", path.display())]
    TooManyRecords {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// A file is not in a format Hallmark imports.
    #[error("{}: not a recognised vulnerability data format: {detail}", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What was seen.
        detail: String,
    },
    /// A file's content does not follow its format.
    #[error("{}: invalid {format} data: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
        /// The parser's message (with line and column).
        detail: String,
    },
    /// The database failed.
    #[error("vulnerability store {path}: {source}")]
    Db {
        /// The store's path (or `:memory:`).
        path: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The store was written by a Hallmark with another schema.
    #[error(
        "vulnerability store {path} has schema version {found}; this Hallmark reads version \
         {expected} (import the data again into a new store)"
    )]
    Schema {
        /// The store's path.
        path: String,
        /// The version found.
        found: String,
        /// The version this code reads.
        expected: String,
    },
    /// No place for the store could be found.
    #[error(
        "no data directory for the vulnerability store: set HALLMARK_VULN_DB, XDG_DATA_HOME or \
         HOME, or pass --vuln-db"
    )]
    NoDataDir,
}
