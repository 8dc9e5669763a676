//! The ELF collector against the shared corpus: every binary of a synthetic image against
//! the manifest's `elf_hardening_measured` (measured there with `readelf`), FACT's
//! exploit-mitigation fixtures against the table in their `SOURCE.md`, and the emux router's
//! `miniweb` (executable stack) and `miniweb-nx`.
//!
//! Images whose filesystems cannot be unpacked yet are checked by hand: extract the rootfs
//! and run `HALLMARK_ROOTFS=/tmp/x HALLMARK_MANIFEST=.../manifest.json cargo test -p
//! hallmark-collect --test elf_corpus -- --ignored`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::path::PathBuf;

use hallmark_model::facts::{Binary, Facts};
use serde_json::Value;
use support::{corpus, is_path, path_of};

/// Compares every manifest entry with the binary at its path, and the set of binaries with
/// the set of entries. Returns the mismatches and how many canary/FORTIFY answers were
/// unknown (no symbols) where `readelf`, finding no symbol, says "no".
fn check_manifest(manifest: &Value, facts: &Facts) -> (Vec<String>, usize) {
    let measured = manifest["elf_hardening_measured"].as_object().unwrap();
    let mut failures = Vec::new();
    let mut unknown = 0;
    for (path, m) in measured {
        let found: Vec<&Binary> = facts
            .binaries
            .iter()
            .filter(|b| is_path(path_of(&b.location), path))
            .collect();
        let [b] = found.as_slice() else {
            failures.push(format!("{path}: {} binaries found", found.len()));
            continue;
        };
        let mut differ = |what: &str, expected: String, got: String| {
            if expected != got {
                failures.push(format!("{path}: {what} {got}, expected {expected}"));
            }
        };
        let machine = match m["machine"].as_str().unwrap() {
            "MIPS R3000" => "mips",
            "ARM" => "arm",
            "AArch64" => "aarch64",
            "Advanced Micro Devices X86-64" => "x86_64",
            other => other,
        };
        differ(
            "type",
            m["elf_type"].as_str().unwrap().to_lowercase(),
            b.elf_type.clone(),
        );
        differ("machine", machine.to_owned(), b.machine.clone());
        differ(
            "class",
            m["class"]
                .as_str()
                .unwrap()
                .trim_start_matches("ELF")
                .to_owned(),
            b.class.to_string(),
        );
        differ(
            "endian",
            m["endian"].as_str().unwrap().to_owned(),
            b.endian.clone(),
        );
        differ(
            "static",
            m["static"].to_string(),
            b.static_linked.to_string(),
        );
        differ(
            "library",
            (m["kind"] == "shared_object").to_string(),
            b.library.to_string(),
        );
        differ(
            "pie",
            m["pie"].as_bool().map_or("-".to_owned(), |v| v.to_string()),
            b.pie.map_or("-".to_owned(), |v| v.to_string()),
        );
        differ(
            "nx",
            m["nx_stack"].to_string(),
            b.nx.map_or("-".to_owned(), |v| v.to_string()),
        );
        differ(
            "relro",
            m["relro"].as_str().unwrap().to_owned(),
            b.relro.clone().unwrap_or_default(),
        );
        for (what, expected, got) in [
            ("canary", m["stack_canary"].as_bool().unwrap(), b.canary),
            ("fortify", m["fortify"].as_bool().unwrap(), b.fortify),
        ] {
            match got {
                Some(got) => differ(what, expected.to_string(), got.to_string()),
                None if !expected => unknown += 1,
                None => differ(what, expected.to_string(), "unknown".to_owned()),
            }
        }
        let paths = |v: &Value| {
            v.as_str()
                .map(|s| s.split(':').map(str::to_owned).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        differ(
            "rpath",
            format!("{:?}", paths(&m["rpath"])),
            format!("{:?}", b.rpath),
        );
        differ(
            "runpath",
            format!("{:?}", paths(&m["runpath"])),
            format!("{:?}", b.runpath),
        );
        differ(
            "stripped",
            m["stripped"].to_string(),
            b.stripped.to_string(),
        );
    }
    for b in &facts.binaries {
        let path = path_of(&b.location);
        if !measured.keys().any(|p| is_path(path, p)) {
            failures.push(format!("{path}: not in the manifest"));
        }
    }
    (failures, unknown)
}

#[test]
fn synthetic_initramfs_mipsel_every_binary() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("synthetic/initramfs-mipsel");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let facts = support::run("elf", &support::unpack(&dir.join("initramfs.cpio.gz")));
    let (failures, unknown) = check_manifest(&manifest, &facts);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(facts.binaries.len(), 10);
    // Only the stripped static busybox has no symbols to tell canary and FORTIFY by.
    assert_eq!(unknown, 2);
    assert!(facts.covered("elf"));
}

/// By hand, for an extracted rootfs: see the module documentation. Without
/// `HALLMARK_MANIFEST` every binary is listed and nothing is compared.
#[test]
#[ignore = "needs HALLMARK_ROOTFS (and HALLMARK_MANIFEST)"]
fn extracted_rootfs_against_its_manifest() {
    let root = PathBuf::from(std::env::var("HALLMARK_ROOTFS").unwrap());
    let started = std::time::Instant::now();
    let facts = support::run("elf", &support::directory(&root));
    eprintln!("read and inspected in {:?}", started.elapsed());
    let Ok(manifest) = std::env::var("HALLMARK_MANIFEST") else {
        for b in &facts.binaries {
            eprintln!(
                "{} {} {} {} {} lib={} {} static={}",
                path_of(&b.location),
                b.machine,
                b.class,
                b.endian,
                b.elf_type,
                b.library,
                summary(b),
                b.static_linked
            );
        }
        return;
    };
    let manifest: Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    let (failures, unknown) = check_manifest(&manifest, &facts);
    eprintln!(
        "{} binaries, {unknown} canary/FORTIFY answers unknown for want of symbols",
        facts.binaries.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One line per binary: type, PIE, NX, RELRO, canary, RPATH, RUNPATH, stripped.
fn summary(b: &Binary) -> String {
    let o = |v: Option<bool>| v.map_or("-".to_owned(), |v| v.to_string());
    format!(
        "{} pie={} nx={} relro={} canary={} rpath={} runpath={} stripped={}",
        b.elf_type,
        o(b.pie),
        o(b.nx),
        b.relro.as_deref().unwrap_or("-"),
        o(b.canary),
        !b.rpath.is_empty(),
        !b.runpath.is_empty(),
        b.stripped
    )
}

/// The table "Hardening ground truth measured here with readelf" of the fixtures' SOURCE.md
/// (RELRO "yes" + BIND_NOW "yes" = full).
#[test]
fn fact_core_exploit_mitigations() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("real/fact-core-analysis-fixtures");
    #[rustfmt::skip]
    let table = [
        ("Hallo.out", "dyn pie=true nx=true relro=full canary=false rpath=false runpath=false stripped=false"),
        ("Hallo.so", "dyn pie=- nx=true relro=partial canary=false rpath=false runpath=false stripped=false"),
        ("Hallo_Canary", "dyn pie=true nx=true relro=full canary=true rpath=false runpath=false stripped=false"),
        ("Hallo_SafeStack", "exec pie=false nx=true relro=partial canary=false rpath=false runpath=false stripped=false"),
        ("Hallo_cfi", "exec pie=false nx=true relro=partial canary=false rpath=false runpath=false stripped=false"),
        ("Hallo_no_pie", "exec pie=false nx=true relro=partial canary=false rpath=false runpath=false stripped=false"),
        ("Hallo_rpath", "dyn pie=true nx=true relro=full canary=false rpath=true runpath=false stripped=false"),
        ("Hallo_runpath", "dyn pie=true nx=true relro=full canary=false rpath=false runpath=true stripped=false"),
        ("Hallo_stripped", "dyn pie=true nx=true relro=full canary=false rpath=false runpath=false stripped=true"),
    ];
    let files: Vec<PathBuf> = table
        .iter()
        .map(|(name, _)| dir.join(format!("exploit_mitigations__{name}")))
        .collect();
    let facts = support::run("elf", &support::loose_files(&files));
    for (name, expected) in table {
        let path = format!("/exploit_mitigations__{name}");
        let b = facts
            .binaries
            .iter()
            .find(|b| path_of(&b.location) == path)
            .unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!(summary(b), expected, "{name}");
        assert_eq!((b.machine.as_str(), b.class), ("x86_64", 64), "{name}");
        assert_eq!(b.library, name == "Hallo.so", "{name}");
    }
}

/// `miniweb` and `nweb` have an executable stack (`GNU_STACK RWE`), `miniweb-nx` and
/// `lightsrv` do not; all four are non-PIE ARM executables without a stack protector.
#[test]
fn emux_miniweb_with_and_without_nx() {
    let Some(corpus) = corpus() else { return };
    let image = corpus.join("real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2");
    let facts = support::run("elf", &support::unpack(&image));
    for (name, nx) in [
        ("miniweb", false),
        ("miniweb-nx", true),
        ("nweb", false),
        ("lightsrv", true),
    ] {
        let path = format!("/usr/bin/{name}");
        let b = facts
            .binaries
            .iter()
            .find(|b| is_path(path_of(&b.location), &path))
            .unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!(
            (
                b.elf_type.as_str(),
                b.machine.as_str(),
                b.pie,
                b.nx,
                b.canary
            ),
            ("exec", "arm", Some(false), Some(nx), Some(false)),
            "{name}"
        );
    }
    assert_eq!(facts.binaries.len(), 47);
    assert!(facts.covered("elf"));
}
