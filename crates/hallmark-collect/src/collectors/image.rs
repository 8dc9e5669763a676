//! The image itself: its layers, file trees, operating system, kernel banners, and whether
//! unpacking was complete.

use hallmark_model::facts::{Coverage, CoverageStatus, Facts, ImageFacts, Kernel, TreeSummary};
use sha2::{Digest, Sha256};

use crate::{Collector, Image, Options};

/// Records [`ImageFacts`] and [`Kernel`] banners.
pub(crate) struct ImageCollector;

/// Longest banner kept.
const BANNER_MAX: usize = 200;

impl Collector for ImageCollector {
    fn id(&self) -> &'static str {
        "image"
    }

    fn description(&self) -> &'static str {
        "layers and file trees of the image, root filesystems, kernel banners, and limits reached while unpacking"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let unpacked = image.unpacked();
        let root = &unpacked.root;
        let sha256 = root
            .content
            .as_ref()
            .map(|blob| hex(&Sha256::digest(blob.as_slice())))
            .unwrap_or_default();
        let layers = unpacked
            .layers()
            .into_iter()
            .skip(1)
            .filter(|(_, layer)| !layer.is_raw())
            .map(|(_, layer)| layer.format.clone())
            .collect();
        let trees = image
            .trees()
            .map(|(path, tree, format)| TreeSummary {
                location: path.location(None),
                format: format.to_owned(),
                files: u64::try_from(tree.files().count()).unwrap_or(u64::MAX),
                rootfs: Image::is_rootfs(tree),
            })
            .collect();
        let mut incomplete: Vec<String> = unpacked
            .truncations()
            .iter()
            .map(|t| format!("{}: {} limit: {}", t.layer, t.limit, t.detail))
            .collect();
        incomplete.extend(
            unpacked.errors().iter().map(|(path, e)| {
                format!("{path}: damage at offset {:#x}: {}", e.offset, e.message)
            }),
        );

        let mut examined = 0u64;
        // Kernel banners: in decompressed layers (a kernel image) and in files of the trees.
        for (path, layer) in unpacked.layers() {
            if let Some(content) = &layer.content {
                examined = examined.saturating_add(1);
                if let Some((offset, kernel)) = banner(content.as_slice()) {
                    let mut location = path.location(None);
                    if let hallmark_model::Location::Image { offset: o, .. } = &mut location {
                        *o = u64::try_from(offset).ok();
                    }
                    push_kernel(facts, kernel, location);
                }
            }
        }
        let os = if facts.kernels.iter().any(|k| k.os == "linux") || image.has_rootfs() {
            Some("linux".to_owned())
        } else if facts.kernels.iter().any(|k| k.os == "vxworks") {
            Some("vxworks".to_owned())
        } else {
            None
        };
        facts.image = Some(ImageFacts {
            name: unpacked.root_path().image,
            size: root.size,
            sha256,
            layers,
            trees,
            os,
            incomplete,
        });
        Coverage {
            status: if unpacked.is_complete() {
                CoverageStatus::Complete
            } else {
                CoverageStatus::Partial
            },
            examined,
            notes: Vec::new(),
        }
    }
}

fn push_kernel(
    facts: &mut Facts,
    kernel: (String, String, String),
    location: hallmark_model::Location,
) {
    let (os, version, banner) = kernel;
    if facts
        .kernels
        .iter()
        .any(|k| k.version == version && k.os == os)
    {
        return;
    }
    facts.kernels.push(Kernel {
        os,
        version,
        banner,
        location,
    });
}

/// Finds a kernel banner: `Linux version X.Y.Z ...` or `VxWorks5.5.1` / `VxWorks 6.9`.
fn banner(data: &[u8]) -> Option<(usize, (String, String, String))> {
    if let Some(at) = memchr::memmem::find(data, b"Linux version ") {
        let rest = data.get(at..)?;
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .unwrap_or(rest.len())
            .min(BANNER_MAX);
        let line = String::from_utf8_lossy(rest.get(..end)?).into_owned();
        let version: String = line
            .get("Linux version ".len()..)?
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
            .collect();
        if version.starts_with(|c: char| c.is_ascii_digit()) {
            return Some((at, ("linux".into(), version, line)));
        }
    }
    if let Some(at) = memchr::memmem::find(data, b"VxWorks") {
        let rest = data.get(at.checked_add(7)?..)?;
        let version: String = rest
            .iter()
            .skip_while(|&&b| b == b' ')
            .take_while(|&&b| b.is_ascii_digit() || b == b'.')
            .map(|&b| char::from(b))
            .collect();
        if version.starts_with(|c: char| c.is_ascii_digit()) {
            let banner = format!("VxWorks {version}");
            return Some((at, ("vxworks".into(), version, banner)));
        }
    }
    None
}

pub(crate) use hallmark_model::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        let (_, (os, version, _)) =
            banner(b"\x00\x01Linux version 4.14.180 (builder@host) #1 SMP\n").unwrap();
        assert_eq!((os.as_str(), version.as_str()), ("linux", "4.14.180"));
        let (_, (os, version, _)) = banner(b"xxVxWorks5.5.1 yy").unwrap();
        assert_eq!((os.as_str(), version.as_str()), ("vxworks", "5.5.1"));
        assert!(banner(b"Linux version of the manual").is_none());
    }
}
