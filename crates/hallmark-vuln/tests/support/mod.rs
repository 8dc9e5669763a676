//! Helpers for the vulnerability tests: the shared corpus and its vulnerability data, the
//! component table, unpacking an image and running the components collector.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hallmark_collect::{COLLECTORS, Image, Options};
use hallmark_model::facts::{Component, Facts, VulnScan};
use hallmark_unpack::{Limits, Unpacker};
use hallmark_vuln::{ImportLimits, Store};

/// The shared corpus, or `None` (with a notice) when it is absent outside CI.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs the shared corpus at {}", dir.display());
    }
    eprintln!(
        "NOTICE: skipping corpus tests; shared corpus absent at {}",
        dir.display()
    );
    None
}

/// A store in memory holding `files` of the corpus's `vulndata/`.
pub fn store_with(corpus: &Path, files: &[&str]) -> Store {
    let mut store = Store::in_memory().unwrap();
    for file in files {
        store
            .import_file(
                &corpus.join("vulndata").join(file),
                &ImportLimits::default(),
            )
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    store
}

/// `vulndata/expected-matches.json`.
pub fn expected(corpus: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(corpus.join("vulndata/expected-matches.json")).unwrap())
        .unwrap()
}

/// Expected matches of one image: key (`busybox 1.35.0`) -> CVE ids.
pub fn expected_image(section: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    section
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, ids)| {
            let ids = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect();
            (key.clone(), ids)
        })
        .collect()
}

/// The `part:vendor:product` the components collector gives a component name (or CPE
/// product) `name`, read from its signature table.
pub fn cpe_of(name: &str) -> Option<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../hallmark-collect/data/components.toml");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    table["component"].as_array().unwrap().iter().find_map(|c| {
        let cpe = c.get("cpe")?.as_str()?;
        let product = cpe.rsplit(':').next()?;
        (c["name"].as_str() == Some(name) || product == name).then(|| cpe.to_owned())
    })
}

/// A component as the collector would give it for `name version` from a version string.
pub fn component(name: &str, version: &str) -> Component {
    let cpe = cpe_of(name).map(|c| format!("cpe:2.3:{c}:{version}:*:*:*:*:*:*:*"));
    Component {
        name: name.to_owned(),
        version: Some(version.to_owned()),
        purl: format!("pkg:generic/{name}@{version}"),
        cpe,
        evidence: Vec::new(),
        evidence_omitted: 0,
    }
}

/// The name and upstream version of a component as expected-matches keys name them: the
/// CPE product or the component name, and the CPE version.
pub fn key_parts(c: &Component) -> (Vec<String>, Option<String>) {
    let mut names = vec![c.name.clone()];
    let mut version = c.version.clone();
    if let Some(cpe) = c.cpe.as_deref().and_then(hallmark_vuln::Cpe::parse) {
        names.push(cpe.product.clone());
        version = Some(cpe.plain_version());
    }
    (names, version)
}

/// Whether component `c` is what key `name version` means.
pub fn is_key(c: &Component, key: &str) -> bool {
    let Some((name, version)) = key.split_once(' ') else {
        return false;
    };
    let (names, v) = key_parts(c);
    names.iter().any(|n| n == name) && v.as_deref() == Some(version)
}

/// Runs the components collector over an image file.
pub fn components(image: &Path) -> Facts {
    let unpacked = Unpacker::new(Limits::default())
        .unpack_file(image)
        .unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let collector = COLLECTORS.iter().find(|c| c.id() == "components").unwrap();
    let mut facts = Facts::default();
    let coverage = collector.collect(&Image::new(&unpacked), &Options::default(), &mut facts);
    facts.coverage.insert("components".into(), coverage);
    facts
}

/// The ids a scan matched for components that are `key`.
pub fn ids_for(scan: &VulnScan, components: &[Component], key: &str) -> BTreeSet<String> {
    scan.matches
        .iter()
        .filter(|m| {
            components.iter().any(|c| {
                c.name == m.component.name
                    && c.version == m.component.version
                    && c.purl == m.component.purl
                    && is_key(c, key)
            })
        })
        .map(|m| m.id.clone())
        .collect()
}
