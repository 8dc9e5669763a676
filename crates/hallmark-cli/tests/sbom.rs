//! `hallmark sbom`: CycloneDX 1.6 and SPDX 2.3 documents that the official validators accept
//! (cyclonedx-python-lib and spdx-tools, installed by `.ci/install-deps.sh`), that hold every
//! file with its digests and every component with its evidence, that are reproducible, and
//! whose inventory is the one `assess` embeds in its report.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{example, shared_corpus};

mod support;

/// The Python of the validators' venv (`.ci/install-deps.sh`), or `None` (with a notice;
/// under CI a missing validator is a failure).
fn validators() -> Option<PathBuf> {
    let venv = std::env::var_os("HALLMARK_VALIDATORS_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/hallmark/validators"))
        })?;
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import cyclonedx.validation.json, spdx_tools"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the SBOM validators in {} (run .ci/install-deps.sh)",
        venv.display()
    );
    eprintln!(
        "NOTICE: SBOM schema validation skipped; run .ci/install-deps.sh to install the validators in {}",
        venv.display()
    );
    None
}

/// Runs the official validators over `documents` (`("cyclonedx"|"spdx", path)`).
fn validate(documents: &[(&str, PathBuf)]) {
    let Some(python) = validators() else {
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/validate_sbom.py");
    let out = Command::new(python)
        .arg(script)
        .args(
            documents
                .iter()
                .map(|(kind, path)| format!("{kind}:{}", path.display())),
        )
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report.lines().count(), documents.len(), "{report}");
}

/// Writes the SBOM of `image` in `format` to `path`, with a fixed creation time.
fn sbom(image: &Path, format: &str, path: &Path) -> Value {
    let out = support::command()
        .args(["sbom", "-q", "--format", format, "-o"])
        .arg(path)
        .arg(image)
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hallmark-sbom-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_example_gives_valid_complete_reproducible_sboms() {
    let dir = scratch("example");
    let cdx_path = dir.join("example.cdx.json");
    let spdx_path = dir.join("example.spdx.json");
    let cdx = sbom(&example(), "cyclonedx", &cdx_path);
    let spdx = sbom(&example(), "spdx", &spdx_path);
    validate(&[("cyclonedx", cdx_path.clone()), ("spdx", spdx_path.clone())]);

    // Every regular file of the example, with both digests, in both formats.
    let cdx_files: Vec<&Value> = cdx["metadata"]["component"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let spdx_files = spdx["files"].as_array().unwrap();
    assert_eq!(cdx_files.len(), spdx_files.len());
    let passwd = spdx_files
        .iter()
        .find(|f| f["fileName"] == "./etc/passwd")
        .expect("./etc/passwd in the SPDX files");
    let text = std::process::Command::new("tar")
        .args(["-xzOf"])
        .arg(example())
        .arg("etc/passwd")
        .output()
        .unwrap()
        .stdout;
    let sha256 = {
        use std::fmt::Write;
        let out = Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(&text)?;
                child.wait_with_output()
            })
            .unwrap();
        let mut hex = String::new();
        let _ = write!(hex, "{}", String::from_utf8_lossy(&out.stdout));
        hex.split_whitespace().next().unwrap().to_owned()
    };
    assert_eq!(passwd["checksums"][1]["checksumValue"], sha256.as_str());

    // busybox, with its CPE and the package database line that names it.
    let busybox = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "busybox")
        .expect("busybox in the CycloneDX components");
    assert_eq!(
        busybox["cpe"],
        "cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*"
    );
    assert_eq!(busybox["version"], "1.30.1-1");
    let occurrence = &busybox["evidence"]["occurrences"][0];
    assert_eq!(occurrence["location"], "./usr/lib/opkg/status");
    assert_eq!(occurrence["line"], 1);
    assert_eq!(
        busybox["evidence"]["identity"][0]["methods"][0]["technique"],
        "manifest-analysis"
    );
    // In SPDX the evidence is a relationship from the package to the file.
    let status_id = spdx_files
        .iter()
        .find(|f| f["fileName"] == "./usr/lib/opkg/status")
        .map(|f| f["SPDXID"].clone())
        .unwrap();
    let busybox_id = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "busybox")
        .map(|p| p["SPDXID"].clone())
        .unwrap();
    assert!(spdx["relationships"].as_array().unwrap().iter().any(|r| {
        r["spdxElementId"] == busybox_id
            && r["relatedSpdxElement"] == status_id
            && r["comment"]
                .as_str()
                .is_some_and(|c| c.contains("package database entry on line 1"))
    }));

    // The same creation time gives the same bytes.
    let again = dir.join("again.cdx.json");
    sbom(&example(), "cyclonedx", &again);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&cdx_path).unwrap()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_report_embeds_the_sbom_inventory() {
    let dir = scratch("report");
    let cdx = sbom(&example(), "cyclonedx", &dir.join("example.cdx.json"));
    let out = support::command()
        .args(["assess", "-q", "--format", "json"])
        .arg(example())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = |c: &Value| {
        (
            c["name"].to_string(),
            c["version"].to_string(),
            c["purl"].to_string(),
        )
    };
    let in_report: Vec<_> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    let in_sbom: Vec<_> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert!(!in_report.is_empty());
    assert_eq!(in_report, in_sbom);
    let _ = std::fs::remove_dir_all(dir);
}

/// The images of the shared corpus the SBOM test covers: every synthetic image and the real
/// images with a root filesystem.
fn corpus_images(corpus: &Path) -> Vec<PathBuf> {
    [
        "synthetic/router-armhf/firmware.bin",
        "synthetic/router-armhf-ubi/rootfs.ubi",
        "synthetic/nas-arm64-ext4/rootfs.ext4",
        "synthetic/initramfs-mipsel/initramfs.cpio.gz",
        "synthetic/config-jffs2/config-le.jffs2",
        "real/openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin",
        "real/tplink-tl-wr940n-v4-stock/wr940nv4_us_3_16_9_up_boot_160617.bin",
        "real/huawei-hg532e-stock/HG532eV100R001C01B020_upgrade_packet.bin",
        "real/dlink-dir615c-rootfs/squashfs-root.tar.bz2",
        "real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2",
        "real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz",
        "real/lichee-pi-nano-buildroot-jffs2/rootfs.jffs2",
        "real/broadcom-adsl-squashfs-v2/squashfs_v2.bin",
        "real/tplink-mt7628-flash-partitions/rootfs.squashfs",
    ]
    .iter()
    .map(|p| corpus.join(p))
    .collect()
}

#[test]
fn corpus_sboms_validate_and_name_the_manifest_components() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let dir = scratch("corpus");
    let mut documents = Vec::new();
    for (i, image) in corpus_images(&corpus).iter().enumerate() {
        assert!(image.is_file(), "{} is missing", image.display());
        let cdx_path = dir.join(format!("{i}.cdx.json"));
        let spdx_path = dir.join(format!("{i}.spdx.json"));
        let cdx = sbom(image, "cyclonedx", &cdx_path);
        let spdx = sbom(image, "spdx", &spdx_path);
        documents.push(("cyclonedx", cdx_path));
        documents.push(("spdx", spdx_path));

        // A synthetic image's manifest components are in both documents with their exact
        // version (a package version may add its revision: `1.30.1-1`).
        let manifest = image.with_file_name("manifest.json");
        if !manifest.is_file() {
            continue;
        }
        let manifest: Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
        let listed = |items: &Value, version_key: &str| -> Vec<(String, String)> {
            items
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| {
                    Some((
                        c["name"].as_str()?.to_owned(),
                        c[version_key].as_str()?.to_owned(),
                    ))
                })
                .collect()
        };
        let cdx_found = listed(&cdx["components"], "version");
        let spdx_found = listed(&spdx["packages"], "versionInfo");
        for component in manifest["components"].as_array().into_iter().flatten() {
            let name = component["name"].as_str().unwrap();
            let version = component["version"].as_str().unwrap();
            // The kernel stub is in firmware.bin's uImage, not in the root file systems.
            let in_this_image = component["path"].as_str().unwrap().starts_with('/')
                || image.ends_with("firmware.bin");
            if !in_this_image {
                continue;
            }
            let is = |(n, v): &(String, String)| {
                n == name && (v == version || v.starts_with(&format!("{version}-")))
            };
            assert!(
                cdx_found.iter().any(is),
                "{}: {name} {version} not in the CycloneDX components {cdx_found:?}",
                image.display()
            );
            assert!(
                spdx_found.iter().any(is),
                "{}: {name} {version} not in the SPDX packages",
                image.display()
            );
        }
    }
    validate(&documents);
    let _ = std::fs::remove_dir_all(dir);
}
