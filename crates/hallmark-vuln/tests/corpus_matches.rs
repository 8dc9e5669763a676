//! End to end over the shared corpus: each image is unpacked, the real components collector
//! runs, and its components are matched against `vulndata/nvd-embedded-subset.json`. The
//! result must be `vulndata/expected-matches.json` exactly: for every expected key the same
//! CVEs, and no CVE for any other component.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use hallmark_model::facts::MatchMethod;
use hallmark_vuln::{Store, match_components};
use support::{components, corpus, expected, expected_image, ids_for, is_key, store_with};

/// The image file of each expected entry, and expected keys whose component is not in that
/// file (with the reason).
/// Expected keys absent from an image file, with the reason.
type Absent = &'static [(&'static str, &'static str)];

#[rustfmt::skip]
const IMAGES: &[(&str, &str, Absent)] = &[
    ("synthetic", "config-jffs2/config-le.jffs2", &[]),
    ("synthetic", "initramfs-mipsel/initramfs.cpio.gz", &[]),
    ("synthetic", "nas-arm64-ext4/rootfs.ext4", &[]),
    ("synthetic", "router-armhf-ubi/rootfs.ubi", &[(
        "linux_kernel 4.14.180",
        "the manifest's kernel is firmware.bin's uImage stub; the UBI image holds no kernel",
    )]),
    ("synthetic", "router-armhf/firmware.bin", &[]),
    ("real", "openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", &[]),
    ("real", "tplink-mt7628-flash-partitions/rootfs.squashfs", &[]),
    ("real", "dlink-dir615c-rootfs/squashfs-root.tar.bz2", &[]),
    ("real", "emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", &[]),
    ("real", "lichee-pi-nano-buildroot-jffs2/rootfs.jffs2", &[]),
    ("real", "rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", &[]),
];

fn check_image(
    store: &Store,
    corpus: &Path,
    section: &str,
    file: &str,
    absent: &[(&str, &str)],
) -> Vec<String> {
    let image = file.split('/').next().unwrap();
    let expected = expected_image(&expected(corpus)[section][image]);
    let facts = components(&corpus.join(section).join(file));
    let scan = match_components(store, &facts.components).unwrap();
    let mut failures = Vec::new();
    for (key, ids) in &expected {
        if absent.iter().any(|(k, _)| k == key) {
            assert!(
                ids.is_empty(),
                "{key}: an absent component must expect nothing"
            );
            continue;
        }
        if !facts.components.iter().any(|c| is_key(c, key)) {
            failures.push(format!("{image}: component {key} not found"));
            continue;
        }
        let got = ids_for(&scan, &facts.components, key);
        if &got != ids {
            failures.push(format!("{image}: {key}: got {got:?}, expected {ids:?}"));
        }
    }
    // No CVE for a component outside the expected keys.
    for m in &scan.matches {
        let c = facts
            .components
            .iter()
            .find(|c| c.purl == m.component.purl && c.name == m.component.name)
            .unwrap();
        if !expected.keys().any(|k| is_key(c, k)) {
            failures.push(format!(
                "{image}: extra {} for {} {:?} ({})",
                m.id, m.component.name, m.component.version, m.range
            ));
        }
        assert!(matches!(
            m.method,
            MatchMethod::CpeRange | MatchMethod::CpeExact
        ));
        assert!(
            m.component.location.is_some() && !m.component.evidence.is_empty(),
            "{m:?}"
        );
    }
    eprintln!(
        "{image}: {} components, {} matches",
        facts.components.len(),
        scan.matches.len()
    );
    failures
}

#[test]
fn corpus_images_reproduce_expected_matches() {
    let Some(corpus) = corpus() else { return };
    let store = store_with(&corpus, &["nvd-embedded-subset.json"]);
    let expected = expected(&corpus);
    let covered: BTreeSet<(&str, &str)> = IMAGES
        .iter()
        .map(|(s, f, _)| (*s, f.split('/').next().unwrap()))
        .collect();
    for section in ["synthetic", "real"] {
        for image in expected[section].as_object().unwrap().keys() {
            assert!(
                covered.contains(&(section, image.as_str())),
                "{section}/{image} has no image file here"
            );
        }
    }
    let mut failures = Vec::new();
    for (section, file, absent) in IMAGES {
        failures.extend(check_image(&store, &corpus, section, file, absent));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The device images: the device-level records are reported as not assessed (no fact
/// identifies the device model), never as matches. (Their components may match component
/// records: expected-matches.json lists only the device CVEs for these images.)
#[test]
fn device_images_report_device_cves_as_not_assessed() {
    let Some(corpus) = corpus() else { return };
    let store = store_with(&corpus, &["nvd-embedded-subset.json"]);
    for file in [
        "tplink-tl-wr940n-v4-stock/wr940nv4_us_3_16_9_up_boot_160617.bin",
        "huawei-hg532e-stock/HG532eV100R001C01B020_upgrade_packet.bin",
    ] {
        let facts = components(&corpus.join("real").join(file));
        let scan = match_components(&store, &facts.components).unwrap();
        for m in &scan.matches {
            eprintln!(
                "{file}: {} {:?}: {}",
                m.component.name, m.component.version, m.id
            );
            assert!(
                !["CVE-2017-13772", "CVE-2017-17215", "CVE-2020-8423"].contains(&m.id.as_str())
            );
        }
        let devices = scan
            .not_assessed
            .iter()
            .find(|n| n.what.starts_with("device-level"))
            .unwrap();
        assert!(devices.examples.contains(&"CVE-2017-13772".to_owned()));
        assert!(devices.examples.contains(&"CVE-2017-17215".to_owned()));
        assert!(
            devices
                .reason
                .contains("nothing in the facts identifies the device")
        );
    }
}

/// Every shared data file together, and the corpus scanned against it, with no network:
/// the Alpine image's packages are newer than every secdb fix in the subset, so secdb adds no
/// match; KEV flags nothing in the NVD subset.
#[test]
fn all_shared_data_scans_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let store = store_with(
        &corpus,
        &[
            "nvd-embedded-subset.json",
            "cisa-kev-full.json",
            "cisa-kev-iot-subset.json",
            "alpine-secdb-embedded-subset.json",
        ],
    );
    let facts = components(&corpus.join("real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz"));
    let scan = match_components(&store, &facts.components).unwrap();
    assert!(scan.matches.is_empty(), "{:#?}", scan.matches);
    assert_eq!(scan.snapshots.len(), 4);
    let facts = components(&corpus.join("real/dlink-dir615c-rootfs/squashfs-root.tar.bz2"));
    let scan = match_components(&store, &facts.components).unwrap();
    let ids: BTreeSet<&str> = scan.matches.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2017-16544",
            "CVE-2018-20679",
            "CVE-2022-28391",
            "CVE-2022-48174"
        ]
        .into()
    );
    assert!(scan.matches.iter().all(|m| m.kev.is_none()));
}
