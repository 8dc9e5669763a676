//! The file inventory of an image, for software bills of materials.

use serde::{Deserialize, Serialize};

/// One regular file of an unpacked image with its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative name: `./etc/passwd` for a file of the main root filesystem;
    /// `./<layer>@<offset>/.../path` (layers from the outside in) for a file of another tree,
    /// so that names stay unique when an image holds several file systems.
    pub name: String,
    /// Size in bytes of the content hashed.
    pub size: u64,
    /// SHA-1 of the content, lowercase hex (SPDX 2.3 requires it for every file).
    pub sha1: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

/// The SBOM name of `path` in the tree at layer `chain`, given the layer chain of the main root
/// filesystem: `./etc/passwd` in the main tree; for another tree, the layers below the main
/// tree (or from the input, when the tree is not inside it), each as the member that holds it
/// and `<format>@<offset>`: `./opt/a.tar/tar@0x0/notes.txt`.
pub fn sbom_file_name(main: Option<&[crate::Layer]>, chain: &[crate::Layer], path: &str) -> String {
    let rest = match main {
        Some(main) if chain.starts_with(main) => chain.get(main.len()..).unwrap_or(&[]),
        _ => chain,
    };
    let mut out = String::from(".");
    for layer in rest {
        if let Some(member) = &layer.name {
            out.push('/');
            out.push_str(member.trim_start_matches('/'));
        }
        out.push('/');
        out.push_str(&layer.format);
        out.push_str(&format!("@{:#x}", layer.offset));
    }
    out.push('/');
    out.push_str(path.trim_start_matches('/'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Layer;

    fn layer(format: &str, offset: u64, name: Option<&str>) -> Layer {
        Layer {
            format: format.into(),
            offset,
            name: name.map(Into::into),
        }
    }

    #[test]
    fn names_are_relative_to_the_main_tree() {
        let main = [layer("trx", 0, None), layer("squashfs", 0x1c, None)];
        assert_eq!(
            sbom_file_name(Some(&main), &main, "/etc/passwd"),
            "./etc/passwd"
        );
        let nested = [
            layer("trx", 0, None),
            layer("squashfs", 0x1c, None),
            layer("tar", 0, Some("/opt/a.tar")),
        ];
        assert_eq!(
            sbom_file_name(Some(&main), &nested, "/notes.txt"),
            "./opt/a.tar/tar@0x0/notes.txt"
        );
        let beside = [layer("trx", 0, None), layer("jffs2", 0x2000, None)];
        assert_eq!(
            sbom_file_name(Some(&main), &beside, "/cfg"),
            "./trx@0x0/jffs2@0x2000/cfg"
        );
        assert_eq!(sbom_file_name(None, &[], "bin/sh"), "./bin/sh");
    }
}
