//! Safe recursive firmware extraction.
//!
//! [`Unpacker`] identifies the layers of a firmware image (compressed streams, archives, and in
//! later increments filesystems and vendor containers), extracts them in process and descends
//! into what they produce, under explicit [`Limits`]. The result, [`Unpacked`], is a tree of
//! [`Layer`]s; archive and filesystem layers carry a read-only virtual [`FileTree`] that
//! collectors read in memory. [`materialize()`] writes the result to disk when a person wants to
//! look at it.
//!
//! ```
//! use std::io::Write;
//! use hallmark_unpack::{Limits, Unpacker};
//!
//! // A gzip stream hidden at offset 64 of an otherwise unknown image.
//! let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
//! gz.write_all(b"hello from inside").unwrap();
//! let image = [vec![0xAA; 64], gz.finish().unwrap()].concat();
//!
//! let unpacked = Unpacker::new(Limits::default()).unpack_bytes("fw.bin", image);
//! let gzip = &unpacked.root.children[1];
//! assert_eq!((gzip.format.as_str(), gzip.offset), ("gzip", 64));
//! assert_eq!(gzip.content.as_deref(), Some(&b"hello from inside"[..]));
//! assert!(unpacked.root.children[0].is_raw()); // the 64 unknown bytes are kept
//! assert!(unpacked.is_complete()); // no limit was reached
//! ```
//!
//! # How it works
//!
//! 1. **One signature pass per blob.** An Aho-Corasick automaton over the magic patterns of all
//!    [`formats()`] finds every candidate offset in a single pass.
//! 2. **Validation by the format's own parser.** A candidate counts only when the format's
//!    parser accepts it; it then reports its exact extent, which hides any candidate inside
//!    it. Unidentified stretches between hits become [`RAW`] layers: no byte is dropped.
//! 3. **Recursion.** The driver scans what each layer produced (a decompressed stream, each
//!    file of an archive) the same way, down to [`Limits::max_depth`].
//! 4. **Limits.** Every decoder produces output in bounded chunks and charges a shared
//!    [`Budget`]; reaching a limit is a recorded [`Truncation`], never an error or a panic.
//!    See [`limits`] for the limits and their defaults.
//! 5. **Safe paths.** Names from the image become normalised tree paths that cannot escape the
//!    tree (see [`tree`]); [`materialize()`] never writes outside its output directory (see
//!    [`materialize`](mod@materialize) for the argument).
//! 6. **Memory.** Filesystem readers that can read a file again cheaply (squashfs) defer file
//!    contents: the driver decodes them in windows of 16 MiB, the next window on its own
//!    thread while the current one is scanned, records their damage, and then keeps them for
//!    collectors or, with [`Unpacker::content_on_demand`], drops them (a read decodes them
//!    again). With content on demand, a layer also lets go of its bytes once it and every
//!    layer inside it has been scanned ([`Layer::released`]), and a compressed tar archive
//!    of more than 64 MiB is read as it is decoded, never held whole (see `stream`: the
//!    headers in a first pass, the files a window at a time in a second).
//!    [`unpack_into`] writes each file while its window is in memory and each layer when it
//!    is complete, so `hallmark unpack -o` holds the input, two windows and the outputs of
//!    the compressed layers being scanned, not the unpacked image.
//!
//! Nothing here shells out, follows a link out of the image, creates a device node, or reads an
//! untrusted stream to its end unbounded.
#![deny(clippy::arithmetic_side_effects)]

mod blob;
mod bytes;
mod codec;
mod decode;
mod error;
mod format;
mod formats;
mod forward;
#[doc(hidden)]
pub mod fuzzing;
pub mod layer;
pub mod limits;
pub mod materialize;
mod payload;
mod scan;
mod stream;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod testkit_squashfs;
#[cfg(test)]
mod testkit_ubi;
pub mod tree;
mod unpack;

pub use blob::Blob;
pub use error::{MaterializeError, UnpackError};
pub use format::{FormatInfo, FormatKind};
pub use formats::formats;
pub use layer::{INPUT, Layer, LayerError, RAW};
pub use limits::{Budget, LayerPath, LimitKind, Limits, Truncation};
pub use materialize::{Materialized, SkipReason, Skipped, materialize, unpack_into};
pub use tree::{AnomalyKind, Entry, EntryKind, FileTree, Node, NodeKind, PathAnomaly};
pub use unpack::{Stats, Unpacked, Unpacker};
