//! Software update mechanisms: package managers, A/B updaters and update scripts, whether they
//! verify signatures, where they fetch from, and whether TLS checking is switched off.
//!
//! | mechanism | read from | signature verified when |
//! |---|---|---|
//! | `opkg` | `/etc/opkg.conf`, `/etc/opkg/*.conf` | `option check_signature` is set |
//! | `apk` | `/etc/apk/repositories`, `/etc/apk/keys/` | trusted keys are installed (apk refuses unsigned indexes by default) |
//! | `rauc` | `/etc/rauc/system.conf` | a `[keyring]` is configured |
//! | `swupdate` | `/etc/swupdate.cfg` | a `public-key-file` is configured |
//! | `mender` | `/etc/mender/mender.conf` | an `ArtifactVerifyKey` is configured |
//! | `script` | shell scripts that download (wget, curl, tftp) and flash (mtd, sysupgrade, dd to a flash device, flashcp) | the script runs a signature tool (usign/signify/gpg/openssl verify) |
//!
//! A checksum (md5sum, sha256sum) is not a signature: it proves nothing about who made the
//! image.

use hallmark_model::facts::{Coverage, Facts, UpdateMechanism};

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`UpdateMechanism`] facts.
pub(crate) struct UpdatesCollector;

const DOWNLOADERS: &[&str] = &["wget", "curl", "tftp", "uclient-fetch", "ftpget"];
const FLASHERS: &[&str] = &[
    "mtd",
    "sysupgrade",
    "flashcp",
    "flash_erase",
    "nandwrite",
    "fw_upgrade",
];
const VERIFIERS: &[&str] = &[
    "usign", "signify", "gpg", "gpgv", "openssl", "ucert", "fwtool",
];

const MAX_SCRIPT_BYTES: usize = 256 * 1024;

impl Collector for UpdatesCollector {
    fn id(&self) -> &'static str {
        "updates"
    }

    fn description(&self) -> &'static str {
        "update mechanisms (opkg, apk, RAUC, SWUpdate, Mender, update scripts), their signature checking, sources and TLS settings"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let keys_in = |dir: &str| -> Vec<String> {
            image
                .files()
                .filter(|f| image.rootfs_path(f).starts_with(dir))
                .map(|f| image.rootfs_path(&f).to_owned())
                .collect()
        };
        for file in image.files() {
            let path = image.rootfs_path(&file);
            let Some(text) = file.text().filter(|t| t.len() <= MAX_SCRIPT_BYTES) else {
                continue;
            };
            let found = if path == "/etc/opkg.conf"
                || (path.starts_with("/etc/opkg/") && path.ends_with(".conf"))
            {
                Some(opkg(text, keys_in("/etc/opkg/keys/")))
            } else if path == "/etc/apk/repositories" {
                let keys = keys_in("/etc/apk/keys/");
                let sources = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(|l| {
                        l.trim_start_matches(|c| c != 'h' && c != 'f' && c != '/')
                            .to_owned()
                    })
                    .collect();
                Some(("apk", Some(!keys.is_empty()), sources, false, keys))
            } else if path == "/etc/rauc/system.conf" {
                Some((
                    "rauc",
                    Some(text.contains("[keyring]")),
                    Vec::new(),
                    false,
                    Vec::new(),
                ))
            } else if path == "/etc/swupdate.cfg" {
                Some((
                    "swupdate",
                    Some(text.contains("public-key-file")),
                    Vec::new(),
                    false,
                    Vec::new(),
                ))
            } else if path == "/etc/mender/mender.conf" {
                let sources = url_words(text);
                Some((
                    "mender",
                    Some(text.contains("ArtifactVerifyKey")),
                    sources,
                    false,
                    Vec::new(),
                ))
            } else if text.starts_with("#!") || path.starts_with("/etc/init.d/") {
                script(text)
            } else {
                None
            };
            let Some((mechanism, signature_verified, sources, tls_off, keys)) = found else {
                continue;
            };
            examined = examined.saturating_add(1);
            push(
                facts,
                &file,
                mechanism,
                signature_verified,
                sources,
                tls_off,
                keys,
            );
        }
        coverage(image, examined, Vec::new())
    }
}

type Found = (&'static str, Option<bool>, Vec<String>, bool, Vec<String>);

fn push(
    facts: &mut Facts,
    file: &File<'_>,
    mechanism: &str,
    signature_verified: Option<bool>,
    sources: Vec<String>,
    tls_off: bool,
    keys: Vec<String>,
) {
    facts.updates.push(UpdateMechanism {
        mechanism: mechanism.to_owned(),
        signature_verified,
        sources,
        tls_verification_disabled: tls_off,
        keys,
        location: file.location(),
    });
}

fn url_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|w| w.contains("://"))
        .map(str::to_owned)
        .collect()
}

fn opkg(text: &str, keys: Vec<String>) -> Found {
    let mut check = false;
    let mut sources = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["option", "check_signature", ..] => check = true,
            ["src" | "src/gz", _, url, ..] => sources.push((*url).to_owned()),
            _ => {}
        }
    }
    ("opkg", Some(check), sources, false, keys)
}

/// A script that downloads and flashes firmware.
fn script(text: &str) -> Option<Found> {
    let mut downloads = false;
    let mut flashes = false;
    let mut verifies = false;
    let mut tls_off = false;
    let mut sources = Vec::new();
    for line in text.lines() {
        for command in shell::commands(line) {
            let program = shell::basename(command.program());
            let args = command.args();
            if DOWNLOADERS.contains(&program) {
                downloads = true;
                sources.extend(args.iter().filter(|a| a.contains("://")).cloned());
                if args
                    .iter()
                    .any(|a| a == "-k" || a == "--insecure" || a == "--no-check-certificate")
                {
                    tls_off = true;
                }
            }
            let dd_to_flash = program == "dd"
                && args
                    .iter()
                    .any(|a| a.starts_with("of=/dev/mtd") || a.starts_with("of=/dev/mmcblk"));
            if FLASHERS.contains(&program) || dd_to_flash {
                flashes = true;
            }
            let openssl_verify = program == "openssl"
                && args
                    .iter()
                    .any(|a| a == "-verify" || a == "verify" || a.starts_with("-signature"));
            if (VERIFIERS.contains(&program) && program != "openssl") || openssl_verify {
                verifies = true;
            }
        }
    }
    if !(downloads && flashes) {
        return None;
    }
    Some(("script", Some(verifies), sources, tls_off, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    fn collect(files: &[(&str, &str)]) -> Vec<UpdateMechanism> {
        let mut tree = FileTree::new();
        for (path, text) in files {
            tree.add(Entry::file(*path, text.as_bytes().to_vec()));
        }
        crate::tests::collect_tree(tree, &UpdatesCollector).updates
    }

    #[test]
    fn scripts_and_package_managers() {
        let got = collect(&[
            (
                "/usr/sbin/fw_upgrade.sh",
                "#!/bin/sh\nwget -O /tmp/fw.bin \"http://admin:x@update.example.invalid/latest.bin\" && mtd write /tmp/fw.bin firmware\n",
            ),
            (
                "/usr/sbin/safe_upgrade.sh",
                "#!/bin/sh\ncurl -k -o /tmp/fw https://u.example/fw && usign -V -m /tmp/fw -P /etc/opkg/keys && sysupgrade /tmp/fw\n",
            ),
            (
                "/etc/opkg.conf",
                "dest root /\nsrc/gz base http://downloads.example/base\noption check_signature\n",
            ),
            ("/etc/opkg/keys/abc", "untrusted comment: x\nRWQ...\n"),
            (
                "/usr/bin/notes.sh",
                "#!/bin/sh\nwget http://example/readme\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|u| {
                format!(
                    "{} {:?} {:?} tls_off={} keys={}",
                    u.mechanism,
                    u.signature_verified,
                    u.sources,
                    u.tls_verification_disabled,
                    u.keys.len()
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"opkg Some(true) ["http://downloads.example/base"] tls_off=false keys=1"#,
                r#"script Some(false) ["http://admin:x@update.example.invalid/latest.bin"] tls_off=false keys=0"#,
                r#"script Some(true) ["https://u.example/fw"] tls_off=true keys=0"#,
            ]
        );
    }
}
