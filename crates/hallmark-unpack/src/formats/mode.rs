//! POSIX file modes (`st_mode`) as filesystems and archives store them: the file type in the
//! bits of [`S_IFMT`], the permissions in the low twelve bits.

use crate::tree::EntryKind;

/// The file type bits.
pub(crate) const S_IFMT: u32 = 0o170000;
pub(crate) const S_IFSOCK: u32 = 0o140000;
pub(crate) const S_IFLNK: u32 = 0o120000;
pub(crate) const S_IFREG: u32 = 0o100000;
pub(crate) const S_IFBLK: u32 = 0o060000;
pub(crate) const S_IFDIR: u32 = 0o040000;
pub(crate) const S_IFCHR: u32 = 0o020000;
pub(crate) const S_IFIFO: u32 = 0o010000;

/// A device node of file type `kind`: a character device for [`S_IFCHR`], a block device
/// otherwise.
pub(crate) fn device_kind(kind: u32, major: u32, minor: u32) -> EntryKind {
    if kind == S_IFCHR {
        EntryKind::CharDevice { major, minor }
    } else {
        EntryKind::BlockDevice { major, minor }
    }
}
