//! Importing every supported format (the shared corpus files and small fixtures in the
//! shapes the corpus lacks), idempotent re-import, hostile files, the on-disk store, status,
//! and what each source matches.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::path::{Path, PathBuf};

use hallmark_model::facts::{Component, MatchMethod};
use hallmark_vuln::{
    Format, ImportLimits, Store, VulnError, apply_vex, load_vex, match_components,
};
use support::{component, corpus};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn import(store: &mut Store, name: &str) -> hallmark_vuln::ImportSummary {
    store
        .import_file(&data(name), &ImportLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn package(purl: &str, version: &str) -> Component {
    let name = purl.rsplit('/').next().unwrap().split('@').next().unwrap();
    Component {
        name: name.to_owned(),
        version: Some(version.to_owned()),
        purl: purl.to_owned(),
        cpe: None,
        evidence: Vec::new(),
        evidence_omitted: 0,
    }
}

fn ids(store: &Store, components: &[Component]) -> Vec<String> {
    match_components(store, components)
        .unwrap()
        .matches
        .into_iter()
        .map(|m| m.id)
        .collect()
}

#[test]
fn every_shared_file_imports_offline() {
    let Some(corpus) = corpus() else { return };
    let mut store = Store::in_memory().unwrap();
    let expected = [
        (
            "nvd-embedded-subset.json",
            Format::NvdCondensed,
            12,
            "2026-06-17T04:43:02.373",
        ),
        (
            "cisa-kev-full.json",
            Format::Kev,
            1404,
            "2025.08.25 (released 2025-08-25T17:04:19.9796Z)",
        ),
        (
            "cisa-kev-iot-subset.json",
            Format::Kev,
            120,
            "2025.08.25 (released 2025-08-25T17:04:19.9796Z)",
        ),
        (
            "alpine-secdb-embedded-subset.json",
            Format::AlpineSecdbConverted,
            206,
            "alpinelinux/alpine-secdb",
        ),
    ];
    for (file, format, records, snapshot) in expected {
        let s = store
            .import_file(
                &corpus.join("vulndata").join(file),
                &ImportLimits::default(),
            )
            .unwrap();
        assert_eq!((s.format, s.records), (format, records), "{file}");
        assert!(
            s.snapshot.as_deref().unwrap().starts_with(snapshot),
            "{file}: {:?}",
            s.snapshot
        );
    }
    let status = store.status().unwrap();
    assert_eq!(status.sources.len(), 4);
    assert_eq!(status.kev_entries, 1404);
    assert_eq!(status.device_records, 3);
    let nvd = status.advisories.iter().find(|(s, _)| s == "nvd").unwrap();
    assert_eq!(nvd.1, 12);
    // secdb: Alpine busybox 1.27.2-r3 on v3.9 lacks the fixes of 1.27.2-r4 and later.
    let apk = package(
        "pkg:apk/alpine/busybox@1.27.2-r3?arch=x86_64&distro=alpine-3.9.4",
        "1.27.2-r3",
    );
    let scan = match_components(&store, &[apk]).unwrap();
    let m = scan
        .matches
        .iter()
        .find(|m| m.id == "CVE-2017-16544")
        .unwrap();
    assert_eq!(m.method, MatchMethod::PackageSecdb);
    assert_eq!(m.source, "alpine-secdb");
    assert_eq!(m.fixed.as_deref(), Some("1.27.2-r4"));
    assert_eq!(m.range, "busybox < 1.27.2-r4 (Alpine v3.9)");
    // CVSS and description come from the NVD record of the same CVE.
    assert_eq!(m.cvss.as_ref().unwrap().score, Some(8.8));
    assert!(m.summary.as_deref().unwrap().contains("tab autocomplete"));
}

#[test]
fn reimport_replaces_and_never_duplicates() {
    let Some(corpus) = corpus() else { return };
    let mut store = Store::in_memory().unwrap();
    let nvd = corpus.join("vulndata/nvd-embedded-subset.json");
    let secdb = corpus.join("vulndata/alpine-secdb-embedded-subset.json");
    for path in [&nvd, &secdb] {
        store.import_file(path, &ImportLimits::default()).unwrap();
    }
    let first = store.status().unwrap();
    for path in [&nvd, &secdb, &nvd] {
        store.import_file(path, &ImportLimits::default()).unwrap();
    }
    let again = store.status().unwrap();
    assert_eq!(
        (
            first.advisories.clone(),
            first.cpe_criteria,
            first.package_entries,
            first.sources.len()
        ),
        (
            again.advisories.clone(),
            again.cpe_criteria,
            again.package_entries,
            again.sources.len()
        )
    );
    // The same record from another file replaces the first: one CVE-2016-7406, its criteria
    // those of the newer record.
    import(&mut store, "nvd-api-wrapped.json");
    let status = store.status().unwrap();
    assert_eq!(status.advisories, first.advisories);
    assert_eq!(status.cpe_criteria, first.cpe_criteria);
    let scan = match_components(&store, &[component("dropbear", "2011.54")]).unwrap();
    assert_eq!(scan.matches.len(), 1);
    assert_eq!(scan.matches[0].range, "dropbear_ssh < 2016.74");
}

#[test]
fn nvd_api_shapes() {
    let mut store = Store::in_memory().unwrap();
    let s = import(&mut store, "nvd-api-single.json");
    assert_eq!((s.format, s.records), (Format::NvdApi, 1));
    assert_eq!(s.snapshot.as_deref(), Some("2023-11-07T03:39:12.000"));
    let s = import(&mut store, "nvd-api-wrapped.json");
    assert_eq!((s.format, s.records), (Format::NvdApi, 1));
    let s = import(&mut store, "nvd-api-page.json");
    assert_eq!((s.format, s.records), (Format::NvdApi, 3));
    assert_eq!(s.snapshot.as_deref(), Some("2026-06-01T12:00:00.000"));

    let scan = match_components(&store, &[component("busybox", "1.30.1")]).unwrap();
    let m = &scan.matches[0];
    assert_eq!(
        (m.id.as_str(), m.range.as_str()),
        ("CVE-2021-42374", "1.27.0 <= busybox <= 1.33.1")
    );
    assert_eq!(m.method, MatchMethod::CpeRange);
    // NVD's own score, in English.
    let cvss = m.cvss.as_ref().unwrap();
    assert_eq!(
        (cvss.version.as_str(), cvss.score, cvss.severity.as_str()),
        ("3.1", Some(5.3), "MEDIUM")
    );
    assert!(
        m.summary
            .as_deref()
            .unwrap()
            .starts_with("An out-of-bounds")
    );
    assert!(ids(&store, &[component("busybox", "1.34.0")]).is_empty());
    assert!(ids(&store, &[component("busybox", "1.26.2")]).is_empty());
    // The NetApp firmware/hardware pair is a device-level record, not a component match.
    assert_eq!(scan.not_assessed[0].examples, vec!["CVE-2021-42374"]);

    // The old vendor name of Dropbear matches through the alias table.
    let scan = match_components(&store, &[component("dropbear", "2011.54")]).unwrap();
    let m = &scan.matches[0];
    assert_eq!(
        m.criteria,
        "cpe:2.3:a:matt_johnston:dropbear_ssh_server:*:*:*:*:*:*:*:*"
    );
    assert_eq!(m.fixed.as_deref(), Some("2016.74"));
    assert!(m.is_critical());

    // OpenSSL letters: 1.0.2h is inside, 1.0.2i and 1.0.2k are not.
    assert_eq!(
        ids(&store, &[component("openssl", "1.0.2h")]),
        vec!["CVE-2016-2177"]
    );
    assert_eq!(
        ids(&store, &[component("openssl", "1.0.2a")]),
        vec!["CVE-2016-2177"]
    );
    assert!(ids(&store, &[component("openssl", "1.0.2i")]).is_empty());
    assert!(ids(&store, &[component("openssl", "1.0.2k")]).is_empty());
    assert!(ids(&store, &[component("openssl", "1.1.1w")]).is_empty());

    // OpenSSH: version and update (`9.3p1`) as the collector writes them.
    let openssh = |v: &str, u: &str| Component {
        cpe: Some(format!("cpe:2.3:a:openbsd:openssh:{v}:{u}:*:*:*:*:*:*")),
        ..component("openssh", &format!("{v}{u}"))
    };
    assert_eq!(ids(&store, &[openssh("8.4", "p1")]), vec!["CVE-2023-38408"]);
    let scan = match_components(&store, &[openssh("9.3", "p1")]).unwrap();
    assert_eq!(scan.matches[0].method, MatchMethod::CpeExact);
    assert_eq!(scan.matches[0].range, "openssh = 9.3p1");
    assert!(ids(&store, &[openssh("9.3", "p2")]).is_empty());
    // A rejected record matches nothing.
    assert!(!ids(&store, &[component("openssl", "1.0.2h")]).contains(&"CVE-2099-0001".to_owned()));
}

#[test]
fn osv_records_by_package() {
    let mut store = Store::in_memory().unwrap();
    let s = import(&mut store, "osv-alpine.json");
    assert_eq!((s.format, s.records), (Format::Osv, 1));
    assert_eq!(s.snapshot.as_deref(), Some("2025-01-10T05:00:00Z"));
    let s = import(&mut store, "osv-array.json");
    assert_eq!((s.format, s.records), (Format::Osv, 2));

    let apk = |v: &str| {
        package(
            &format!("pkg:apk/alpine/busybox@{v}?arch=aarch64&distro=alpine-3.18.4"),
            v,
        )
    };
    let scan = match_components(&store, &[apk("1.36.1-r0")]).unwrap();
    let m = &scan.matches[0];
    assert_eq!(
        (m.id.as_str(), m.method),
        ("ALPINE-CVE-2022-48174", MatchMethod::Osv)
    );
    assert_eq!(m.aliases, vec!["CVE-2022-48174"]);
    assert_eq!(m.range, "busybox < 1.36.1-r1");
    assert_eq!(m.fixed.as_deref(), Some("1.36.1-r1"));
    assert!(ids(&store, &[apk("1.36.1-r1")]).is_empty());
    // Another release's record does not apply.
    let other = package(
        "pkg:apk/alpine/busybox@1.36.1-r0?distro=alpine-3.19.0",
        "1.36.1-r0",
    );
    assert!(ids(&store, &[other]).is_empty());

    let deb = |v: &str| {
        package(
            &format!(
                "pkg:deb/debian/libssl1.1@{}?arch=armhf&distro=debian-11&upstream=openssl",
                v.replace(':', "%3A").replace('+', "%2B")
            ),
            v,
        )
    };
    assert_eq!(
        ids(&store, &[deb("1.1.1n-0+deb11u4")]),
        vec!["DEBIAN-CVE-2023-0464"]
    );
    assert_eq!(
        ids(&store, &[deb("1.1.1n-0+deb11u1")]),
        vec!["DEBIAN-CVE-2023-0464"]
    );
    assert!(ids(&store, &[deb("1.1.1n-0+deb11u5")]).is_empty());

    let npm = |v: &str| package(&format!("pkg:npm/example-lib@{v}"), v);
    let scan = match_components(&store, &[npm("2.4.1")]).unwrap();
    assert_eq!(scan.matches[0].range, "2.0.0 <= example-lib <= 2.4.1");
    assert!(scan.matches[0].is_critical());
    assert!(ids(&store, &[npm("2.4.2")]).is_empty());
    assert!(ids(&store, &[npm("1.9.0")]).is_empty());
}

#[test]
fn official_alpine_secdb() {
    let mut store = Store::in_memory().unwrap();
    let s = import(&mut store, "alpine-secdb-v3.18-main.json");
    assert_eq!(s.format, Format::AlpineSecdb);
    assert_eq!(s.records, 4);
    assert_eq!(s.snapshot.as_deref(), Some("v3.18 main"));
    let apk = package(
        "pkg:apk/alpine/busybox@1.35.0-r1?distro=alpine-3.18.0",
        "1.35.0-r1",
    );
    assert_eq!(
        ids(&store, &[apk]),
        vec!["CVE-2022-28391", "CVE-2022-30065", "CVE-2022-48174"]
    );
    let apk = package(
        "pkg:apk/alpine/busybox@1.36.0-r0?distro=alpine-3.18.0",
        "1.36.0-r0",
    );
    assert_eq!(ids(&store, &[apk]), vec!["CVE-2022-48174"]);
    // A later release inherits the fixes of the newest release in the data.
    let apk = package(
        "pkg:apk/alpine/busybox@1.36.0-r0?distro=alpine-3.20.1",
        "1.36.0-r0",
    );
    let scan = match_components(&store, &[apk]).unwrap();
    assert!(
        scan.matches[0].range.contains("fix from v3.18"),
        "{}",
        scan.matches[0].range
    );
    // libcrypto3 is built from openssl (the `upstream` qualifier).
    let lib = package(
        "pkg:apk/alpine/libcrypto3@3.1.0-r4?distro=alpine-3.18.0&upstream=openssl",
        "3.1.0-r4",
    );
    assert_eq!(ids(&store, &[lib]), vec!["CVE-2023-2650"]);
    // Release unknown: the lowest fixed version of any release, said so.
    let apk = package("pkg:apk/alpine/busybox@1.35.0-r1", "1.35.0-r1");
    let scan = match_components(&store, &[apk]).unwrap();
    assert!(
        scan.matches
            .iter()
            .all(|m| m.range.contains("release unknown"))
    );
}

#[test]
fn kev_membership_is_flagged() {
    let Some(corpus) = corpus() else { return };
    let mut store = Store::in_memory().unwrap();
    store
        .import_file(
            &corpus.join("vulndata/cisa-kev-full.json"),
            &ImportLimits::default(),
        )
        .unwrap();
    // A paraphrase of NVD's record for CVE-2017-1000253 (in the KEV catalogue), one range kept.
    let record = br#"{"id": "CVE-2017-1000253", "lastModified": "2025-01-01T00:00:00.000",
      "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"version": "3.1",
        "baseScore": 7.8, "baseSeverity": "HIGH"}}]},
      "configurations": [{"nodes": [{"cpeMatch": [{"vulnerable": true,
        "criteria": "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*",
        "versionStartIncluding": "2.6.25", "versionEndExcluding": "4.13"}]}]}]}"#;
    store
        .import_bytes(
            Path::new("CVE-2017-1000253.json"),
            record,
            &ImportLimits::default(),
        )
        .unwrap();
    let scan = match_components(&store, &[component("linux_kernel", "2.6.31")]).unwrap();
    let m = &scan.matches[0];
    assert_eq!(m.kev.as_ref().unwrap().date_added, "2024-09-09");
    assert_eq!(m.range, "2.6.25 <= linux_kernel < 4.13");
    assert!(ids(&store, &[component("linux_kernel", "4.14.180")]).is_empty());
    assert!(ids(&store, &[component("linux_kernel", "2.6.21.5")]).is_empty());
}

#[test]
fn vex_suppresses_and_keeps() {
    let Some(corpus) = corpus() else { return };
    let mut store = Store::in_memory().unwrap();
    store
        .import_file(
            &corpus.join("vulndata/nvd-embedded-subset.json"),
            &ImportLimits::default(),
        )
        .unwrap();
    let components = [
        component("busybox", "1.35.0"),
        component("dropbear", "2011.54"),
    ];
    let mut scan = match_components(&store, &components).unwrap();
    assert_eq!(scan.matches.len(), 4);
    apply_vex(&mut scan, &load_vex(&data("openvex.json")).unwrap());
    apply_vex(&mut scan, &load_vex(&data("cyclonedx-vex.json")).unwrap());
    let suppressed: Vec<(&str, &str)> = scan
        .matches
        .iter()
        .filter_map(|m| Some((m.id.as_str(), m.suppressed.as_ref()?.justification.as_str())))
        .collect();
    assert_eq!(
        suppressed,
        vec![
            ("CVE-2022-30065", "vulnerable_code_not_present"),
            ("CVE-2016-7406", "code_not_reachable"),
        ]
    );
    assert_eq!(scan.matches.len(), 4);
    assert_eq!(scan.active().count(), 2);
    assert_eq!(scan.vex.len(), 2);
    // A statement about another version does not apply.
    let mut other = match_components(&store, &[component("busybox", "1.30.1")]).unwrap();
    apply_vex(&mut other, &load_vex(&data("openvex.json")).unwrap());
    assert!(other.matches.iter().all(|m| m.suppressed.is_none()));
    // Not VEX: an error naming the file.
    let e = load_vex(&data("osv-alpine.json")).unwrap_err();
    assert!(e.to_string().contains("osv-alpine.json"), "{e}");
}

#[test]
fn hostile_files_are_errors_naming_the_file() {
    let mut store = Store::in_memory().unwrap();
    let limits = ImportLimits::default();
    let cases: &[(&str, &[u8])] = &[
        (
            "truncated.json",
            br#"{"cve": {"id": "CVE-1", "configurations": [{"nodes": [{"#,
        ),
        (
            "wrong-type.json",
            br#"{"id": "CVE-1", "configurations": "none"}"#,
        ),
        (
            "wrong-kev.json",
            br#"{"catalogVersion": "1", "vulnerabilities": [{"cveID": 5}]}"#,
        ),
        ("binary.json", b"\x7fELF\x01\x01\x00\x00"),
        ("empty.json", b""),
        ("nothing.json", br#"{"hello": "world"}"#),
        (
            "osv-bad.json",
            br#"[{"id": "X", "affected": [{"ranges": [{"events": "x"}]}]}]"#,
        ),
    ];
    for (name, bytes) in cases {
        let e = store
            .import_bytes(Path::new(name), bytes, &limits)
            .unwrap_err();
        assert!(e.to_string().starts_with(name), "{name}: {e}");
    }
    // Deep nesting is refused by the parser's depth limit, not a stack overflow.
    let deep = format!(
        "{{\"cves\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(
        store
            .import_bytes(Path::new("deep.json"), deep.as_bytes(), &limits)
            .is_err()
    );
    // Limits: file size and record count.
    let small = ImportLimits {
        max_file_bytes: 100,
        ..ImportLimits::default()
    };
    let e = store
        .import_file(&data("nvd-api-page.json"), &small)
        .unwrap_err();
    assert!(matches!(e, VulnError::TooLarge { .. }), "{e}");
    let few = ImportLimits {
        max_records: 2,
        ..ImportLimits::default()
    };
    let e = store
        .import_file(&data("nvd-api-page.json"), &few)
        .unwrap_err();
    assert!(matches!(e, VulnError::TooManyRecords { .. }), "{e}");
    let e = store
        .import_file(Path::new("/nonexistent/x.json"), &limits)
        .unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/x.json"), "{e}");
    // Nothing of the failed files was stored.
    assert!(store.status().unwrap().sources.is_empty());
    // Malformed CPE strings and odd versions in an otherwise valid record are skipped.
    let odd = br#"{"id": "CVE-2", "configurations": [{"nodes": [{"cpeMatch": [
        {"vulnerable": true, "criteria": "cpe:2.3:a:busybox"},
        {"vulnerable": true, "criteria": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", "versionEndExcluding": "1.x-y"}]}]}]}"#;
    store
        .import_bytes(Path::new("odd.json"), odd, &limits)
        .unwrap();
    let scan = match_components(&store, &[component("busybox", "1.30.1")]).unwrap();
    assert!(scan.matches.is_empty());
    let undecided = scan
        .not_assessed
        .iter()
        .find(|n| n.what.starts_with("version comparisons"))
        .unwrap();
    assert_eq!(undecided.count, 1);
}

#[test]
fn store_on_disk_persists_and_checks_its_schema() {
    let dir = std::env::temp_dir().join(format!("hallmark-vuln-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("nested/vuln.sqlite3");
    assert!(Store::open_existing(&path).unwrap().is_none());
    {
        let mut store = Store::open(&path).unwrap();
        import(&mut store, "nvd-api-wrapped.json");
    }
    let store = Store::open_existing(&path).unwrap().unwrap();
    let status = store.status().unwrap();
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].source, "nvd");
    assert!(status.sources[0].file.ends_with("nvd-api-wrapped.json"));
    assert_eq!(status.sources[0].imported_at.len(), 20);
    drop(store);
    // A store of another schema version is refused, not misread.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE meta SET value = '0' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let e = Store::open_existing(&path).unwrap_err();
    assert!(matches!(e, VulnError::Schema { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Truncated and corrupted versions of every fixture import or fail, never panic; the scan
/// after them still runs.
#[test]
fn mutated_fixtures_never_panic() {
    let mut store = Store::in_memory().unwrap();
    let limits = ImportLimits::default();
    let mut names: Vec<_> = std::fs::read_dir(data(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = store.import_bytes(&path, &bytes[..cut], &limits);
            for replacement in [b'"', b'{', b']', b'0', b'-', 0xff] {
                let mut mutated = bytes.clone();
                mutated[cut] = replacement;
                let _ = store.import_bytes(&path, &mutated, &limits);
                let _ = hallmark_vuln::parse_vex(&path, &mutated);
            }
        }
    }
    let components = [
        component("busybox", "1.30.1"),
        component("openssl", "1.0.2k"),
        package(
            "pkg:apk/alpine/busybox@1.35.0-r1?distro=alpine-3.18.0",
            "1.35.0-r1",
        ),
    ];
    match_components(&store, &components).unwrap();
}
