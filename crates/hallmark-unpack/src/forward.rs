//! Archives read forward: the interface the tar reader parses through, so one parser serves
//! an archive in memory and one read from a compressed stream as it is decoded (see
//! `stream`).

use std::ops::Range;

use crate::blob::Blob;
use crate::tree::Entry;

/// The bytes of an archive, as a parser that reads forward sees them. After
/// [`release(pos)`](ArchiveBytes::release) the parser asks for nothing before `pos`, which lets
/// a streamed implementation drop those bytes.
pub(crate) trait ArchiveBytes {
    /// The bytes of `range`, if the archive has all of them.
    fn get(&mut self, range: Range<usize>) -> Option<&[u8]>;
    /// As many bytes of `range` as the archive has.
    fn get_some(&mut self, range: Range<usize>) -> &[u8];
    /// `at`, or the archive's length if it is shorter.
    fn len_upto(&mut self, at: usize) -> usize;
    /// Nothing before `pos` will be asked for again.
    fn release(&mut self, pos: usize);
    /// `entry` with the bytes of `range` (which the archive has) as its content.
    fn file(&mut self, entry: Entry, range: Range<usize>) -> Entry;
}

/// An archive held in memory: files are slices of it.
pub(crate) struct InMemory<'a>(pub &'a Blob);

impl ArchiveBytes for InMemory<'_> {
    fn get(&mut self, range: Range<usize>) -> Option<&[u8]> {
        self.0.get(range)
    }

    fn get_some(&mut self, range: Range<usize>) -> &[u8] {
        let end = range.end.min(self.0.len());
        self.0.get(range.start..end).unwrap_or(&[])
    }

    fn len_upto(&mut self, at: usize) -> usize {
        at.min(self.0.len())
    }

    fn release(&mut self, _pos: usize) {}

    fn file(&mut self, entry: Entry, range: Range<usize>) -> Entry {
        entry.content(self.0.slice(range).unwrap_or_default())
    }
}
