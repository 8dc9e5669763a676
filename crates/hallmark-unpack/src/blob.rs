//! Shared, immutable byte buffers that slice without copying.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

/// Where the bytes of a [`Blob`] live. Decoders hand over their output `Vec` as is (no copy into
/// a fresh `Arc<[u8]>` allocation, which would double peak memory for a large layer).
#[derive(Clone)]
enum Storage {
    Shared(Arc<[u8]>),
    Owned(Arc<Vec<u8>>),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Shared(bytes) => bytes,
            Storage::Owned(bytes) => bytes.as_slice(),
        }
    }
}

/// A cheaply cloneable view of immutable bytes: the input image, a decompressed layer, or a file
/// inside an archive (a range of the archive's own bytes).
///
/// Cloning and [`slice`](Blob::slice) never copy data; every view keeps its backing buffer
/// alive.
#[derive(Clone)]
pub struct Blob {
    storage: Storage,
    start: usize,
    end: usize,
}

impl Blob {
    /// An empty blob.
    pub fn empty() -> Blob {
        Blob::from(Vec::new())
    }

    /// The bytes of this view.
    pub fn as_slice(&self) -> &[u8] {
        self.storage
            .bytes()
            .get(self.start..self.end)
            .unwrap_or(&[])
    }

    /// Whether both views keep the same buffer alive.
    pub(crate) fn shares_buffer(&self, other: &Blob) -> bool {
        match (&self.storage, &other.storage) {
            (Storage::Shared(a), Storage::Shared(b)) => Arc::ptr_eq(a, b),
            (Storage::Owned(a), Storage::Owned(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the view is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A sub-view `range` (relative to this view), or `None` when the range is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<Blob> {
        if range.start > range.end || range.end > self.len() {
            return None;
        }
        Some(Blob {
            storage: self.storage.clone(),
            start: self.start.checked_add(range.start)?,
            end: self.start.checked_add(range.end)?,
        })
    }

    /// The view from `start` to the end, or `None` when `start` is past the end.
    pub fn slice_from(&self, start: usize) -> Option<Blob> {
        self.slice(start..self.len())
    }
}

impl Default for Blob {
    fn default() -> Blob {
        Blob::empty()
    }
}

impl Deref for Blob {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Blob {
        let end = bytes.len();
        Blob {
            storage: Storage::Owned(Arc::new(bytes)),
            start: 0,
            end,
        }
    }
}

impl From<Arc<[u8]>> for Blob {
    fn from(bytes: Arc<[u8]>) -> Blob {
        let end = bytes.len();
        Blob {
            storage: Storage::Shared(bytes),
            start: 0,
            end,
        }
    }
}

impl From<Box<[u8]>> for Blob {
    fn from(bytes: Box<[u8]>) -> Blob {
        Blob::from(Vec::from(bytes))
    }
}

impl From<&[u8]> for Blob {
    /// Copies the bytes.
    fn from(bytes: &[u8]) -> Blob {
        Blob::from(bytes.to_vec())
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Blob {}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_storage_and_check_bounds() {
        let blob = Blob::from(b"hello world".to_vec());
        let world = blob.slice(6..11).unwrap();
        assert_eq!(&*world, b"world");
        assert_eq!(&*world.slice(1..3).unwrap(), b"or");
        assert!(world.slice(2..6).is_none());
        assert!(world.slice_from(6).is_none());
        assert!(world.slice_from(5).unwrap().is_empty());
        let shared: Arc<[u8]> = Arc::from(&b"abc"[..]);
        assert_eq!(Blob::from(shared), Blob::from(&b"abc"[..]));
        assert_eq!(format!("{:?}", Blob::empty()), "Blob(0 bytes)");
    }
}
