//! Report formats over the one report model: SARIF 2.1.0 ([`sarif`]) for code-scanning
//! dashboards, Markdown ([`markdown`]) for tickets, and the software bill of materials of an
//! image as CycloneDX 1.6 JSON ([`cyclonedx`]) and SPDX 2.3 JSON ([`spdx`]): the image, its
//! files with SHA-1 and SHA-256, the components identified with their PURL, CPE and evidence,
//! and how they relate.
//!
//! Output is deterministic: the same [`Sbom`] gives the same bytes. Identifiers that must be
//! unique (CycloneDX `serialNumber`, SPDX `documentNamespace`) are derived from the image
//! digest, the tool version and the creation time.
//!
//! ```
//! use hallmark_report::{Sbom, Subject, cyclonedx, spdx};
//!
//! let sbom = Sbom {
//!     subject: Subject { name: "fw.bin".into(), sha256: "00".repeat(32), size: 4 },
//!     tool_version: "0.1.0".into(),
//!     created: "2026-11-25T00:00:00Z".into(),
//!     main_tree: None,
//!     files: vec![],
//!     components: vec![],
//! };
//! assert_eq!(cyclonedx(&sbom)["specVersion"], "1.6");
//! assert_eq!(spdx(&sbom)["spdxVersion"], "SPDX-2.3");
//! ```

mod cyclonedx;
mod diff;
mod framework;
mod html;
mod markdown;
mod render;
mod sarif;
mod spdx;
mod terminal;
pub mod text;
mod time;

use hallmark_model::facts::{Component, IdentificationMethod};
use hallmark_model::{FileEntry, Layer, Location};

pub use cyclonedx::cyclonedx;
pub use diff::{ReportDiff, VerdictChange, VersionChange, diff, diff_markdown};
pub use framework::{
    CoveringVerdict, FrameworkResult, ItemResult, ItemStatus, framework_markdown, framework_result,
};
pub use html::html;
pub use markdown::markdown;
pub use render::{Context, RENDERERS, Renderer, renderer};
pub use sarif::{RuleInfo, sarif};
pub use spdx::spdx;
pub use terminal::terminal;
pub use time::rfc3339_utc;

/// The image an SBOM describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// File name as given by the user.
    pub name: String,
    /// SHA-256 of the image, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Everything an SBOM holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    /// The image.
    pub subject: Subject,
    /// Hallmark's version.
    pub tool_version: String,
    /// Creation time, `YYYY-MM-DDThh:mm:ssZ` (see [`rfc3339_utc`]).
    pub created: String,
    /// Layer chain of the main root filesystem, to name evidence files as [`Sbom::files`] are
    /// named (`hallmark_collect::main_tree_chain`).
    pub main_tree: Option<Vec<Layer>>,
    /// Regular files with digests, sorted by name.
    pub files: Vec<FileEntry>,
    /// Components identified, in the collector's order.
    pub components: Vec<Component>,
}

/// What kind of software a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OperatingSystem,
    Firmware,
    Library,
    Application,
}

/// Components known to be libraries, besides package names starting with `lib`.
const LIBRARIES: &[&str] = &[
    "expat",
    "glibc",
    "mbedtls",
    "musl",
    "openssl",
    "sqlite",
    "uclibc",
    "uclibc-ng",
    "wolfssl",
    "zlib",
];

fn kind(component: &Component) -> Kind {
    match component.name.as_str() {
        "linux_kernel" | "vxworks" => Kind::OperatingSystem,
        "u-boot" => Kind::Firmware,
        name if name.starts_with("lib") || LIBRARIES.contains(&name) => Kind::Library,
        _ => Kind::Application,
    }
}

impl Sbom {
    /// Where a piece of component evidence is, named as the file inventory names files, and
    /// the byte offset or line in it.
    fn occurrence(&self, location: &Location) -> (String, Option<u64>, Option<u32>) {
        match location {
            Location::Image {
                chain,
                path: Some(path),
                offset,
                line,
                ..
            } => (
                hallmark_model::sbom_file_name(self.main_tree.as_deref(), chain, path),
                *offset,
                *line,
            ),
            // Evidence in a layer (a kernel, a boot loader): the layer chain, no file.
            Location::Image { chain, offset, .. } => {
                let mut name = hallmark_model::sbom_file_name(None, chain, "");
                name.pop();
                if name == "." {
                    name = format!("./{}", self.subject.name);
                }
                (name, *offset, None)
            }
            other => (other.to_string(), None, None),
        }
    }
}

/// One line saying how a component was identified, for free-text fields.
fn method_text(method: IdentificationMethod) -> &'static str {
    match method {
        IdentificationMethod::PackageDb => "package database entry",
        IdentificationMethod::Signature => "version string",
        IdentificationMethod::FileName => "file name",
    }
}

/// Lowercase hex.
use hallmark_model::hex;

/// A stable RFC 4122 UUID (version 5 layout, SHA-256 based) naming this SBOM.
fn document_uuid(sbom: &Sbom) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(
        format!(
            "hallmark-sbom\n{}\n{}\n{}\n{}",
            sbom.subject.sha256, sbom.subject.name, sbom.tool_version, sbom.created
        )
        .as_bytes(),
    );
    let mut bytes = [0u8; 16];
    for (slot, b) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *b;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use hallmark_model::facts::ComponentEvidence;

    use super::*;

    /// A small SBOM: a root filesystem with busybox (version string), an opkg package and a
    /// kernel found in a layer.
    pub(crate) fn sample() -> Sbom {
        let main = vec![Layer {
            format: "squashfs".into(),
            offset: 0x40,
            name: None,
        }];
        let at = |path: Option<&str>, offset: Option<u64>, line: Option<u32>| Location::Image {
            image: "fw.bin".into(),
            chain: main.clone(),
            path: path.map(Into::into),
            offset,
            line,
        };
        Sbom {
            subject: Subject {
                name: "fw.bin".into(),
                sha256: "ab".repeat(32),
                size: 4096,
            },
            tool_version: "0.1.0".into(),
            created: "2026-11-25T10:00:00Z".into(),
            main_tree: Some(main.clone()),
            files: vec![
                FileEntry {
                    name: "./bin/busybox".into(),
                    size: 3,
                    sha1: "a9993e364706816aba3e25717850c26c9cd0d89d".into(),
                    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                        .into(),
                },
                FileEntry {
                    name: "./usr/lib/opkg/status".into(),
                    size: 0,
                    sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709".into(),
                    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                        .into(),
                },
            ],
            components: vec![
                Component {
                    name: "busybox".into(),
                    version: Some("1.30.1".into()),
                    purl: "pkg:generic/busybox@1.30.1".into(),
                    cpe: Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*".into()),
                    evidence: vec![ComponentEvidence {
                        method: IdentificationMethod::Signature,
                        location: at(Some("/bin/busybox"), Some(0x1234), None),
                        text: "BusyBox v1.30.1 (2020-05-01)".into(),
                    }],
                    evidence_omitted: 0,
                },
                Component {
                    name: "libuci".into(),
                    version: Some("2019-09-01-415f9e48-3".into()),
                    purl: "pkg:opkg/libuci@2019-09-01-415f9e48-3?arch=mips_24kc".into(),
                    cpe: None,
                    evidence: vec![ComponentEvidence {
                        method: IdentificationMethod::PackageDb,
                        location: at(Some("/usr/lib/opkg/status"), None, Some(12)),
                        text: "Package: libuci".into(),
                    }],
                    evidence_omitted: 0,
                },
                Component {
                    name: "linux_kernel".into(),
                    version: Some("4.14.180".into()),
                    purl: "pkg:generic/linux_kernel@4.14.180".into(),
                    cpe: Some("cpe:2.3:o:linux:linux_kernel:4.14.180:*:*:*:*:*:*:*".into()),
                    evidence: vec![ComponentEvidence {
                        method: IdentificationMethod::Signature,
                        location: Location::Image {
                            image: "fw.bin".into(),
                            chain: vec![Layer {
                                format: "uimage".into(),
                                offset: 0,
                                name: None,
                            }],
                            path: None,
                            offset: Some(0x200),
                            line: None,
                        },
                        text: "Linux version 4.14.180".into(),
                    }],
                    evidence_omitted: 3,
                },
                Component {
                    name: "dropbear".into(),
                    version: None,
                    purl: "pkg:generic/dropbear".into(),
                    cpe: None,
                    evidence: vec![],
                    evidence_omitted: 0,
                },
            ],
        }
    }

    /// A report with one failed check (telnet, evidence in a file and at an endpoint), one
    /// inconclusive check and one component.
    pub(crate) fn sample_report() -> hallmark_model::Report {
        use hallmark_model::*;
        let file = Location::Image {
            image: "fw.bin".into(),
            chain: vec![Layer {
                format: "squashfs".into(),
                offset: 0x40,
                name: None,
            }],
            path: Some("/etc/init.d/S40telnetd".into()),
            offset: None,
            line: Some(3),
        };
        let evidence = |location: Location, observed: &str| Evidence {
            kind: EvidenceKind::Firmware,
            location,
            observed: observed.into(),
            reason: "telnet sends credentials in clear".into(),
            excerpt: Some("telnetd -l /bin/sh".into()),
        };
        let mut report = Report {
            schema_version: REPORT_SCHEMA_VERSION.into(),
            provenance: Provenance {
                tool: ToolInfo {
                    name: "hallmark".into(),
                    version: "0.1.0".into(),
                },
                catalog: CatalogRef {
                    id: "uk-ecd-cop".into(),
                    version: "2026.11-proposed.1".into(),
                    status: "proposed".into(),
                },
                inputs: vec![Input {
                    kind: EvidenceKind::Firmware,
                    name: "fw.bin".into(),
                    sha256: Some("ab".repeat(32)),
                    size: Some(4096),
                }],
                settings: std::collections::BTreeMap::new(),
                generated_at: None,
            },
            summary: Summary::default(),
            requirements: vec![RequirementResult {
                id: "ECD-8.1".into(),
                principle: 8,
                title: "Only necessary interfaces enabled".into(),
                severity: Severity::High,
                verdict: Verdict::Fail,
                reason: "services-telnet failed".into(),
                checks: vec!["services-telnet".into()],
                missing: vec![],
            }],
            outcomes: vec![
                Outcome {
                    check: "services-telnet".into(),
                    requirements: vec!["ECD-8.1".into()],
                    verdict: Verdict::Fail,
                    summary: "a telnet server starts at boot".into(),
                    evidence: vec![],
                    missing: vec![],
                    findings: vec![Finding {
                        id: "services-telnet:/etc/init.d/S40telnetd".into(),
                        check: "services-telnet".into(),
                        requirements: vec!["ECD-8.1".into()],
                        severity: Severity::High,
                        title: "Telnet server started".into(),
                        message: "telnetd starts from S40telnetd with a root shell".into(),
                        evidence: vec![
                            evidence(file, "telnetd is started"),
                            evidence(Location::tcp("192.0.2.1", 23), "port 23 answers"),
                        ],
                        remediation: "Remove telnetd from the image.".into(),
                    }],
                },
                Outcome {
                    check: "updates-signed".into(),
                    requirements: vec!["ECD-1.2".into()],
                    verdict: Verdict::Inconclusive,
                    summary: "no update client found".into(),
                    evidence: vec![],
                    missing: vec!["a signature key | or a declaration".into()],
                    findings: vec![],
                },
            ],
            components: sample().components.into_iter().take(1).collect(),
            image: None,
            vulnerabilities: Some(hallmark_model::facts::VulnScan {
                snapshots: vec![hallmark_model::facts::SnapshotInfo {
                    source: "nvd".into(),
                    file: "nvd-embedded-subset.json".into(),
                    records: 12,
                    snapshot: Some("2025-06-25".into()),
                    imported_at: "2026-11-25T00:00:00Z".into(),
                }],
                components_examined: 1,
                matches: vec![hallmark_model::facts::VulnMatch {
                    id: "CVE-2022-48174".into(),
                    aliases: vec![],
                    source: "nvd".into(),
                    component: hallmark_model::facts::MatchedComponent {
                        name: "busybox".into(),
                        version: Some("1.30.1".into()),
                        purl: "pkg:generic/busybox@1.30.1".into(),
                        cpe: Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*".into()),
                        evidence: "version string in /bin/busybox".into(),
                        location: None,
                    },
                    criteria: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*".into(),
                    range: "busybox <= 1.36.1".into(),
                    method: hallmark_model::facts::MatchMethod::CpeRange,
                    cvss: Some(hallmark_model::facts::Cvss {
                        version: "3.1".into(),
                        score: Some(9.8),
                        severity: "CRITICAL".into(),
                        vector: None,
                    }),
                    kev: None,
                    fixed: None,
                    summary: Some("stack overflow in ash".into()),
                    suppressed: None,
                }],
                not_assessed: vec![],
                vex: vec![],
            }),
        };
        let titles =
            std::collections::BTreeMap::from([(8, "Constrain device interfaces".to_owned())]);
        report.summarize(&titles);
        report
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let sbom = sample();
        let a = document_uuid(&sbom);
        assert_eq!(a, document_uuid(&sbom));
        assert_eq!(a.len(), 36);
        assert_eq!(a.get(14..15), Some("5"));
        let mut other = sample();
        other.created = "2026-11-26T10:00:00Z".into();
        assert_ne!(a, document_uuid(&other));
    }

    #[test]
    fn kinds() {
        let sbom = sample();
        let kinds: Vec<Kind> = sbom.components.iter().map(kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Application,
                Kind::Library,
                Kind::OperatingSystem,
                Kind::Application
            ]
        );
    }

    #[test]
    fn occurrences_name_files_as_the_inventory_does() {
        let sbom = sample();
        let busybox = sbom.components.first().and_then(|c| c.evidence.first());
        let layer = sbom.components.get(2).and_then(|c| c.evidence.first());
        assert_eq!(
            busybox.map(|e| sbom.occurrence(&e.location)),
            Some(("./bin/busybox".into(), Some(0x1234), None))
        );
        assert_eq!(
            layer.map(|e| sbom.occurrence(&e.location)),
            Some(("./uimage@0x0".into(), Some(0x200), None))
        );
    }
}
