//! Errors that stop an operation as a whole. Damage inside an image never does: it is recorded
//! on the layer ([`LayerError`](crate::LayerError)) or as a [`Truncation`](crate::Truncation).

use std::io;
use std::path::PathBuf;

/// Why an input could not be unpacked at all.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// The input file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The input.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The input is larger than [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    #[error("{}: input of {size} bytes is larger than the input limit of {limit} bytes", path.display())]
    InputTooLarge {
        /// The input.
        path: PathBuf,
        /// Its size (at least), in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Why [`materialize`](crate::materialize()) could not start. Problems with single entries do
/// not stop it: they are listed in [`Materialized::skipped`](crate::Materialized::skipped).
#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    /// The output directory exists and is not empty.
    #[error("output directory {} is not empty", path.display())]
    NotEmpty {
        /// The output directory.
        path: PathBuf,
    },
    /// The output path exists and is not a directory.
    #[error("output path {} exists and is not a directory", path.display())]
    NotADirectory {
        /// The output path.
        path: PathBuf,
    },
    /// The result was unpacked with [content on
    /// demand](crate::Unpacker::content_on_demand), so its layers let go of their bytes once
    /// scanned: write such an unpack in the same pass with
    /// [`unpack_into`](crate::materialize::unpack_into) instead.
    #[error("the unpacked result no longer holds its contents (unpacked with content on demand)")]
    ContentReleased,
    /// The input could not be read ([`unpack_into`](crate::materialize::unpack_into)).
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// The output directory could not be created or inspected.
    #[error("cannot prepare output directory {}: {source}", path.display())]
    Prepare {
        /// The output directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}
