//! File permissions: world-writable files and directories, setuid and setgid files.

use hallmark_model::facts::{Coverage, Facts, Permission};
use hallmark_unpack::NodeKind;

use crate::{Collector, Image, Options, coverage};

/// Records [`Permission`] facts.
pub(crate) struct PermissionsCollector;

const SETUID: u32 = 0o4000;
const SETGID: u32 = 0o2000;
const STICKY: u32 = 0o1000;
const WORLD_WRITE: u32 = 0o002;

/// Directories whose scripts run at boot.
const BOOT_DIRS: &[&str] = &["/etc/init.d/", "/etc/rc.d/", "/etc/rcS.d/", "/etc/rc.local"];

impl Collector for PermissionsCollector {
    fn id(&self) -> &'static str {
        "permissions"
    }

    fn description(&self) -> &'static str {
        "world-writable files and directories (sticky directories excepted), setuid and setgid files, and whether they run at boot"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let boot_text: Vec<&str> = ["/etc/inittab", "/init", "/etc/rc.local", "/etc/rcS"]
            .iter()
            .flat_map(|p| image.find(p))
            .filter_map(|f| f.text())
            .collect();
        let mut examined = 0u64;
        for file in image.nodes() {
            examined = examined.saturating_add(1);
            let node = file.node;
            let file_type = match node.kind {
                NodeKind::File | NodeKind::Hardlink { .. } => "file",
                NodeKind::Dir => "dir",
                _ => continue,
            };
            let rootfs_path = image.rootfs_path(&file);
            let run_at_boot = file_type == "file"
                && (BOOT_DIRS
                    .iter()
                    .any(|d| rootfs_path.starts_with(d) || rootfs_path == d.trim_end_matches('/'))
                    || boot_text.iter().any(|t| t.contains(rootfs_path)));
            let mut kinds = Vec::new();
            if node.mode & WORLD_WRITE != 0 && !(file_type == "dir" && node.mode & STICKY != 0) {
                kinds.push("world_writable");
            }
            if file_type == "file" && node.mode & SETUID != 0 {
                kinds.push("setuid");
            }
            if file_type == "file" && node.mode & SETGID != 0 {
                kinds.push("setgid");
            }
            for kind in kinds {
                facts.permissions.push(Permission {
                    kind: kind.to_owned(),
                    mode: node.mode,
                    uid: node.uid,
                    file_type: file_type.to_owned(),
                    run_at_boot,
                    location: file.location(),
                });
            }
        }
        coverage(image, examined, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    #[test]
    fn finds_world_writable_setuid_and_boot_scripts() {
        let mut tree = FileTree::new();
        tree.add(Entry::dir("/etc/init.d"));
        tree.add(Entry::file("/etc/init.d/S99custom", b"#!/bin/sh\n".to_vec()).mode(0o777));
        tree.add(Entry::file("/bin/busybox", b"\x7fELF".to_vec()).mode(0o4755));
        tree.add(Entry::dir("/tmp").mode(0o1777));
        tree.add(Entry::dir("/srv/share").mode(0o777));
        tree.add(Entry::file(
            "/etc/passwd",
            b"root:x:0:0::/root:/bin/sh\n".to_vec(),
        ));
        let facts = crate::tests::collect_tree(tree, &PermissionsCollector);
        let got: Vec<(String, String, bool)> = facts
            .permissions
            .iter()
            .map(|p| {
                let hallmark_model::Location::Image { path, .. } = &p.location else {
                    panic!()
                };
                (path.clone().unwrap(), p.kind.clone(), p.run_at_boot)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("/bin/busybox".into(), "setuid".into(), false),
                (
                    "/etc/init.d/S99custom".into(),
                    "world_writable".into(),
                    true
                ),
                ("/srv/share".into(), "world_writable".into(), false),
            ]
        );
    }
}
