//! The acceptance test of matching: `vulndata/expected-matches.json` is reproduced exactly
//! from `vulndata/nvd-embedded-subset.json`, no extra CVE and none missing. Here the
//! components are built from the expected keys; `corpus_matches.rs` finds them in the images.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeSet;

use hallmark_vuln::{match_components, match_device};
use support::{component, corpus, expected, expected_image, store_with};

#[test]
fn expected_matches_from_components_built_from_the_keys() {
    let Some(corpus) = corpus() else { return };
    let store = store_with(&corpus, &["nvd-embedded-subset.json"]);
    let expected = expected(&corpus);
    let mut failures = Vec::new();
    let mut images = 0;
    for section in ["synthetic", "real"] {
        for (image, keys) in expected[section].as_object().unwrap() {
            images += 1;
            for (key, ids) in expected_image(keys) {
                let (name, version) = key.split_once(' ').unwrap();
                let c = component(name, version);
                assert!(c.cpe.is_some(), "{key}: no CPE in the components table");
                let scan = match_components(&store, &[c]).unwrap();
                let got: BTreeSet<String> = scan.matches.iter().map(|m| m.id.clone()).collect();
                if got != ids {
                    failures.push(format!(
                        "{section}/{image}: {key}: got {got:?}, expected {ids:?}"
                    ));
                }
                for m in &scan.matches {
                    assert!(
                        !m.range.is_empty() && m.criteria.starts_with("cpe:2.3:a:"),
                        "{m:?}"
                    );
                    assert!(m.cvss.is_some(), "{m:?}");
                }
            }
        }
    }
    assert_eq!(images, 11);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The three device-level records need a device identity; given one, they match exactly the
/// expected device and no other. Without one (components only) they are listed as not
/// assessed.
#[test]
fn device_cves_need_a_device_identity() {
    let Some(corpus) = corpus() else { return };
    let store = store_with(&corpus, &["nvd-embedded-subset.json"]);
    let expected = expected(&corpus);
    let devices: &[(&str, &[&str])] = &[
        (
            "tplink-tl-wr940n-v4-stock",
            &[
                "cpe:2.3:o:tp-link:wr940n_firmware:3.16.9:*:*:*:*:*:*:*",
                "cpe:2.3:h:tp-link:wr940n:v4:*:*:*:*:*:*:*",
            ],
        ),
        (
            "huawei-hg532e-stock",
            &[
                "cpe:2.3:o:huawei:hg532_firmware:v100r001c01b020:*:*:*:*:*:*:*",
                "cpe:2.3:h:huawei:hg532:-:*:*:*:*:*:*:*",
            ],
        ),
    ];
    for (image, identity) in devices {
        let identity: Vec<String> = identity.iter().map(|s| (*s).to_owned()).collect();
        let got: BTreeSet<String> = match_device(&store, &identity)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        let want: BTreeSet<String> = expected["real_device_cves"][image]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "{image}");
    }
    // The WR841N record needs its own hardware: the WR940N firmware alone is not enough.
    let firmware_only = vec!["cpe:2.3:o:tp-link:wr940n_firmware:3.16.9:*:*:*:*:*:*:*".to_owned()];
    assert!(match_device(&store, &firmware_only).unwrap().is_empty());

    let scan = match_components(&store, &[component("busybox", "1.19.2")]).unwrap();
    let devices = scan
        .not_assessed
        .iter()
        .find(|n| n.what.starts_with("device-level"))
        .unwrap();
    assert_eq!(devices.count, 3);
    assert_eq!(
        devices.examples,
        vec!["CVE-2017-13772", "CVE-2017-17215", "CVE-2020-8423"]
    );
}
