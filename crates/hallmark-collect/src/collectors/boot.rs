//! Boot, update and recovery: how firmware is stored (one slot or two), whether a failed boot
//! falls back, what overwrites the firmware in place, and which recovery paths accept images
//! and whether they check signatures.
//!
//! | fact | read from |
//! |---|---|
//! | `ab-slots` | RAUC `system.conf` (two slots of a class), Mender `RootfsPartA`/`RootfsPartB`, `swupdate -e` copy selection, slot variables in the U-Boot environment or set by `fw_setenv` (`BOOT_ORDER`, `boot_part`, `bootslot`, `mender_boot_part`, ...), two kernel, root filesystem or firmware partitions in an `mtdparts` list |
//! | `boot-counter` | `bootcount`, `bootlimit`, `altbootcmd`, `upgrade_available` in the U-Boot environment or set by `fw_setenv` |
//! | `recovery-partition` | a `recovery`, `rescue`, `failsafe` or `golden` partition in `mtdparts`, a RAUC rescue slot |
//! | `single-slot` | an `mtdparts` list with one kernel, root filesystem or firmware partition of each kind and no second copy or recovery partition |
//! | `in-place-write` | scripts that write a firmware partition: `mtd write ... firmware` (also `linux`, `kernel`, `rootfs`, `image`, `$PART_NAME`), `dd of=/dev/mtd*`, `flashcp`, `nandwrite` |
//! | `network-recovery` | U-Boot environment commands run at boot (`bootcmd`, `altbootcmd`, `preboot`, recovery variables and what they `run`) that load over the network (`tftp`, `dhcp`, `nfs`) and then boot or write flash; bootloader command strings that load over TFTP and write flash; bootloaders with a TFTP recovery image name (`*recovery*.bin`) |
//! | `web-recovery` | web pages named like `failsafe`, `emergency`, `recovery`, `rescue` with a file upload; bootloaders with a web failsafe |
//! | `failsafe-console` | OpenWrt failsafe mode (`/lib/preinit/*failsafe*` starting telnetd, dropbear or a shell) |
//! | `signed-recovery` | RAUC with a keyring, Mender with `ArtifactVerifyKey`, SWUpdate with `public-key-file`, bootloader commands that authenticate images (`hab_auth_img`, `ahab_auth`, `rsa`) |
//!
//! The U-Boot environment is read from text (`uEnv.txt`, `/etc/u-boot-initial-env`,
//! `/boot/*.env`) and from the default environment compiled into bootloaders found in the
//! image (a NUL-separated `name=value` block around `bootcmd=` in a layer that carries a
//! `U-Boot` banner). Kernel command lines compiled into kernels (`mtdparts=` near a `Linux
//! version` banner) give partition lists too. A CRC (`verify=yes`) is not a signature.

use hallmark_model::Location;
use hallmark_model::facts::{BootMechanism, Coverage, Facts};
use memchr::memmem;

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`BootMechanism`] facts.
pub(crate) struct BootCollector;

const MAX_TEXT_BYTES: usize = 512 * 1024;
/// Layers larger than this are not searched for bootloader environments.
const MAX_LAYER_BYTES: usize = 64 << 20;
/// Longest detail kept.
const DETAIL_MAX: usize = 200;

/// Environment variables that count boots or fall back.
const COUNTER_VARS: &[&str] = &[
    "bootcount",
    "bootlimit",
    "altbootcmd",
    "upgrade_available",
    "bootcount_limit",
    "boot_a_left",
    "boot_b_left",
];
/// Environment variables that select a slot.
const SLOT_VARS: &[&str] = &[
    "boot_order",
    "boot_part",
    "bootpart",
    "bootslot",
    "boot_slot",
    "active_slot",
    "mender_boot_part",
    "rootfs_part",
    "root_part",
    "dualboot",
    "dual_boot",
];
/// Commands that load an image over the network.
const NETWORK_LOADS: &[&str] = &["tftp", "tftpboot", "dhcp", "bootp", "nfs", "rarpboot"];
/// Commands that boot or write what was loaded.
const USES: &[&str] = &[
    "bootm", "bootz", "booti", "go", "source", "erase", "cp.b", "cp", "sf", "nand", "mmc", "mtd",
    "bootd", "run",
];
/// Commands or words that authenticate an image in a bootloader command.
const AUTHENTICATES: &[&str] = &[
    "hab_auth_img",
    "ahab_auth",
    "auth_cntr",
    "rsa_verify",
    "verify_sig",
    "sig_verify",
    "avb",
    "fit_check_sign",
];

impl Collector for BootCollector {
    fn id(&self) -> &'static str {
        "boot"
    }

    fn description(&self) -> &'static str {
        "firmware slots and fallback (A/B, boot counters, recovery partitions, single-slot layouts), in-place firmware writers, and recovery paths (bootloader TFTP and web recovery, failsafe consoles) with their signature checking"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        for (path, layer) in image.unpacked().layers() {
            if layer.tree.is_some() {
                continue;
            }
            let Some(content) = layer.content.as_ref() else {
                continue;
            };
            let bytes = content.as_slice();
            if bytes.len() > MAX_LAYER_BYTES {
                continue;
            }
            let location = |offset: usize| -> Location {
                let mut l = path.location(None);
                if let Location::Image { offset: o, .. } = &mut l {
                    *o = u64::try_from(offset).ok();
                }
                l
            };
            let kernel = memmem::find(bytes, b"Linux version ").is_some();
            if kernel {
                examined = examined.saturating_add(1);
                for (offset, list) in cmdline_mtdparts(bytes) {
                    mtdparts(&list, location(offset), facts);
                }
            } else if uboot_banner(bytes) {
                examined = examined.saturating_add(1);
                bootloader(bytes, &location, facts);
            }
        }
        for file in image.files() {
            let path = image.rootfs_path(&file);
            let Some(kind) = classify(path, file.bytes()) else {
                continue;
            };
            let Some(text) = file.text().filter(|t| t.len() <= MAX_TEXT_BYTES) else {
                continue;
            };
            examined = examined.saturating_add(1);
            match kind {
                Source::Rauc => rauc(&file, text, facts),
                Source::Mender => mender(&file, text, facts),
                Source::Swupdate => {
                    if text.contains("public-key-file") {
                        push(
                            facts,
                            "signed-recovery",
                            Some(true),
                            "SWUpdate checks images against a public key (public-key-file)",
                            file.location(),
                        );
                    }
                }
                Source::Env => env_text(&file, text, facts),
                Source::Script => script(&file, text, facts),
                Source::Failsafe => failsafe(&file, text, facts),
                Source::WebPage => web_page(&file, text, facts),
            }
        }
        coverage(image, examined, Vec::new())
    }
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Rauc,
    Mender,
    Swupdate,
    Env,
    Script,
    Failsafe,
    WebPage,
}

fn classify(path: &str, bytes: &[u8]) -> Option<Source> {
    let name = shell::basename(path);
    let lower = name.to_ascii_lowercase();
    Some(match path {
        "/etc/rauc/system.conf" => Source::Rauc,
        "/etc/mender/mender.conf" | "/data/mender/mender.conf" => Source::Mender,
        "/etc/swupdate.cfg" => Source::Swupdate,
        "/etc/u-boot-initial-env" | "/uEnv.txt" | "/boot/uEnv.txt" => Source::Env,
        _ if path.starts_with("/boot/") && name.ends_with(".env") => Source::Env,
        _ if path.starts_with("/lib/preinit/") && name.contains("failsafe") => Source::Failsafe,
        _ if is_web(path)
            && ["failsafe", "emergency", "recovery", "rescue"]
                .iter()
                .any(|w| lower.contains(w)) =>
        {
            Source::WebPage
        }
        _ if bytes.starts_with(b"#!")
            || path.starts_with("/etc/init.d/")
            || path.starts_with("/lib/upgrade/")
            || name.ends_with(".sh") =>
        {
            Source::Script
        }
        _ => return None,
    })
}

fn is_web(path: &str) -> bool {
    [
        "/www/",
        "/web/",
        "/webs/",
        "/htdocs/",
        "/var/www/",
        "/usr/www/",
        "/home/httpd/",
    ]
    .iter()
    .any(|d| path.starts_with(d))
}

fn shorten(text: &str) -> String {
    let text = crate::redact::mask_url_credentials(text.trim());
    let text = text.as_str();
    if text.chars().count() <= DETAIL_MAX {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(DETAIL_MAX).collect();
    out.push_str("...");
    out
}

fn depth(location: &Location) -> usize {
    match location {
        Location::Image { chain, .. } => chain.len(),
        _ => 0,
    }
}

/// Records a mechanism once per kind and detail; seen again deeper in the image (a
/// bootloader inside a container), the deeper location is kept.
fn push(facts: &mut Facts, kind: &str, verified: Option<bool>, detail: &str, location: Location) {
    let detail = shorten(detail);
    if let Some(existing) = facts
        .boot
        .iter_mut()
        .find(|b| b.kind == kind && b.detail == detail)
    {
        if depth(&location) > depth(&existing.location) {
            existing.location = location;
        }
        return;
    }
    facts.boot.push(BootMechanism {
        kind: kind.to_owned(),
        verified,
        detail,
        location,
    });
}

// ---------------------------------------------------------------------------------------
// Bootloaders and kernels.

/// Whether the bytes carry a U-Boot version banner (`U-Boot 1.1.4 (`, `U-Boot 2016.01`).
fn uboot_banner(bytes: &[u8]) -> bool {
    memmem::find_iter(bytes, b"U-Boot ").any(|at| {
        bytes
            .get(at.saturating_add(7))
            .is_some_and(|b| b.is_ascii_digit())
    })
}

/// Whether a bootloader carries code to authenticate images (FIT signatures, HAB).
fn has_signature_code(bytes: &[u8]) -> bool {
    memmem::find(bytes, b"rsa_verify").is_some()
        || memmem::find(bytes, b"hab_auth").is_some()
        || memmem::find(bytes, b"required key").is_some()
        || (memmem::find(bytes, b"Verifying Hash Integrity").is_some()
            && (memmem::find(bytes, b"rsa2048").is_some()
                || memmem::find(bytes, b"rsa4096").is_some()
                || memmem::find(bytes, b"ecdsa").is_some()))
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Printable runs of at least `min` bytes, with their offsets.
fn strings(bytes: &[u8], min: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    for (i, b) in bytes.iter().chain(std::iter::once(&0u8)).enumerate() {
        if printable(*b) {
            continue;
        }
        if i.saturating_sub(start) >= min {
            if let Some(s) = bytes
                .get(start..i)
                .and_then(|r| std::str::from_utf8(r).ok())
            {
                out.push((start, s));
            }
        }
        start = i.saturating_add(1);
    }
    out
}

fn bootloader(bytes: &[u8], location: &dyn Fn(usize) -> Location, facts: &mut Facts) {
    let signed = has_signature_code(bytes);
    let mut env_spans: Vec<(usize, usize)> = Vec::new();
    for (offset, end, env) in env_blocks(bytes) {
        env_spans.push((offset, end));
        environment(&env, signed, &|_| location(offset), facts);
    }
    let runs = strings(bytes, 8);
    let product_check = runs.iter().any(|(_, s)| {
        let l = s.to_ascii_lowercase();
        l.contains("product id") || l.contains("product_id")
    });
    let tftp_client = runs
        .iter()
        .any(|(_, s)| s.contains("tftp") || s.contains("TFTP"));
    for (offset, s) in &runs {
        if env_spans.iter().any(|(a, b)| offset >= a && offset < b) {
            continue;
        }
        let lower = s.to_ascii_lowercase();
        // A command string that loads over TFTP and writes flash.
        if let Some(sequence) = command_sequence(s) {
            let loads = sequence
                .iter()
                .position(|c| NETWORK_LOADS.contains(&c.as_str()));
            let writes = loads.is_some_and(|at| {
                sequence
                    .iter()
                    .skip(at)
                    .any(|c| matches!(c.as_str(), "erase" | "cp.b" | "sf" | "nand" | "mmc" | "mtd"))
            });
            if writes && !s.contains('=') {
                let verified = sequence.iter().any(|c| AUTHENTICATES.contains(&c.as_str()));
                push(
                    facts,
                    "network-recovery",
                    Some(verified),
                    &format!(
                        "bootloader command loads an image over TFTP and writes it to flash: {s}"
                    ),
                    location(*offset),
                );
            }
        }
        // A TFTP recovery image name (`wr940nv4_tp_recovery.bin`).
        let name_like = s
            .split(|c: char| c.is_whitespace() || c == '%' || c == '"')
            .find(|w| {
                let w = w.to_ascii_lowercase();
                w.contains("recovery") && (w.ends_with(".bin") || w.ends_with(".img"))
            });
        if let (Some(name), true) = (name_like, tftp_client) {
            push(
                facts,
                "network-recovery",
                if signed { None } else { Some(false) },
                &format!(
                    "bootloader fetches the recovery image {name} over TFTP and installs it{}",
                    match (signed, product_check) {
                        (true, _) => "",
                        (false, true) => {
                            " (it checks a product id; no signature-verification code in the bootloader)"
                        }
                        (false, false) => " (no signature-verification code in the bootloader)",
                    }
                ),
                location(*offset),
            );
        }
        if lower.contains("web failsafe")
            || lower.contains("failsafe web")
            || (lower.contains("http") && lower.contains("failsafe"))
        {
            push(
                facts,
                "web-recovery",
                if signed { None } else { Some(false) },
                &format!("bootloader web failsafe: {s}"),
                location(*offset),
            );
        }
    }
}

/// The words of a U-Boot command sequence (`tftp 0x8006 a.bin;erase ...`), commands only.
fn command_sequence(s: &str) -> Option<Vec<String>> {
    if !(s.contains(';') || s.contains("&&")) {
        return None;
    }
    let commands: Vec<String> = s
        .split([';', '&', '|'])
        .filter_map(|c| c.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    (commands.len() >= 2).then_some(commands)
}

/// A bootloader environment: its start and end offsets, and its `name=value` entries.
type EnvBlock = (usize, usize, Vec<(String, String)>);

/// NUL-separated `name=value` blocks around each `bootcmd=`.
fn env_blocks(bytes: &[u8]) -> Vec<EnvBlock> {
    let mut out: Vec<EnvBlock> = Vec::new();
    for at in memmem::find_iter(bytes, b"bootcmd=") {
        if out.iter().any(|(a, b, _)| at >= *a && at < *b) {
            continue;
        }
        if at > 0 && bytes.get(at.saturating_sub(1)) != Some(&0) {
            continue;
        }
        // Back over earlier entries.
        let mut start = at;
        while start >= 2 {
            let end = start.saturating_sub(1);
            let mut s = end;
            while s > 0
                && bytes
                    .get(s.saturating_sub(1))
                    .is_some_and(|b| printable(*b))
            {
                s = s.saturating_sub(1);
            }
            match bytes.get(s..end).and_then(|e| std::str::from_utf8(e).ok()) {
                Some(entry) if env_entry(entry).is_some() && s < end => start = s,
                _ => break,
            }
            if at.saturating_sub(start) > 16 * 1024 {
                break;
            }
        }
        // Forward to the empty entry that ends the block.
        let mut entries = Vec::new();
        let mut pos = start;
        while entries.len() < 400 {
            let rest = bytes.get(pos..).unwrap_or(&[]);
            let len = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            let Some(entry) = rest.get(..len).and_then(|e| std::str::from_utf8(e).ok()) else {
                break;
            };
            let Some((name, value)) = env_entry(entry) else {
                break;
            };
            entries.push((name.to_owned(), value.to_owned()));
            pos = pos.saturating_add(len).saturating_add(1);
        }
        if !entries.is_empty() {
            out.push((start, pos, entries));
        }
    }
    out
}

/// `name=value` with a plausible variable name and printable value.
fn env_entry(entry: &str) -> Option<(&str, &str)> {
    let (name, value) = entry.split_once('=')?;
    let plausible = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && entry.bytes().all(printable);
    plausible.then_some((name, value))
}

/// The `mtdparts=` lists of kernel command lines compiled into a kernel.
fn cmdline_mtdparts(bytes: &[u8]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for at in memmem::find_iter(bytes, b"mtdparts=") {
        let rest = bytes.get(at..).unwrap_or(&[]);
        let len = rest
            .iter()
            .position(|b| *b == 0 || *b == b' ' || !printable(*b))
            .unwrap_or(rest.len());
        if let Some(list) = rest.get(..len).and_then(|r| std::str::from_utf8(r).ok()) {
            if parse_mtdparts(list).len() >= 2 {
                out.push((at, list.to_owned()));
            }
        }
    }
    out
}

/// Partition names of `mtdparts=id:size(name)[ro],...;id2:...`.
fn parse_mtdparts(list: &str) -> Vec<String> {
    let list = list.strip_prefix("mtdparts=").unwrap_or(list);
    let mut names = Vec::new();
    for device in list.split(';') {
        let Some((_, parts)) = device.split_once(':') else {
            continue;
        };
        for part in parts.split(',') {
            let (Some(open), Some(close)) = (part.find('('), part.find(')')) else {
                continue;
            };
            if let Some(name) = part.get(open.saturating_add(1)..close) {
                if !name.is_empty() {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// Parts of partition names that hold no firmware image.
const NOT_FIRMWARE: &[&str] = &[
    "data", "config", "cfg", "nvram", "env", "art", "cal", "factory", "boot", "mib", "log",
];

/// What a partition holds: `kernel`, `rootfs`, `firmware`, `recovery`, or nothing of interest.
fn partition_family(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    // Overlays, configuration, calibration and bootloaders hold no firmware image
    // (`rootfs_data`, `u-boot-env`, `ART`, `factory`).
    if NOT_FIRMWARE.iter().any(|x| lower.contains(x)) {
        return None;
    }
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    let base = ["_a", "_b", "-a", "-b"]
        .iter()
        .find_map(|suffix| base.strip_suffix(suffix))
        .unwrap_or(base);
    Some(match base {
        "kernel" | "linux" | "uimage" | "zimage" | "kernel_a" | "kernel_b" | "kernela"
        | "kernelb" => "kernel",
        "rootfs" | "root" | "rootfsa" | "rootfsb" | "rootfs_a" | "rootfs_b" => "rootfs",
        "firmware" | "image" | "os" | "fw" | "firmwarea" | "firmwareb" | "os-image" => "firmware",
        "recovery" | "rescue" | "failsafe" | "golden" | "backup" | "fwbackup" => "recovery",
        _ => return None,
    })
}

fn mtdparts(list: &str, location: Location, facts: &mut Facts) {
    let names = parse_mtdparts(list);
    let mut counts: Vec<(&str, Vec<&str>)> = Vec::new();
    for name in &names {
        let Some(family) = partition_family(name) else {
            continue;
        };
        match counts.iter_mut().find(|(f, _)| *f == family) {
            Some((_, members)) => members.push(name),
            None => counts.push((family, vec![name])),
        }
    }
    if counts.is_empty() {
        return;
    }
    let detail = format!("partitions {}", names.join(", "));
    let recovery = counts.iter().find(|(f, _)| *f == "recovery");
    let doubled = counts
        .iter()
        .find(|(f, members)| *f != "recovery" && members.len() >= 2);
    if let Some((_, members)) = recovery {
        push(
            facts,
            "recovery-partition",
            None,
            &format!("recovery partition {} ({detail})", members.join(", ")),
            location.clone(),
        );
    }
    if let Some((family, members)) = doubled {
        push(
            facts,
            "ab-slots",
            None,
            &format!("two {family} partitions {} ({detail})", members.join(", ")),
            location,
        );
    } else if recovery.is_none() {
        push(facts, "single-slot", None, &detail, location);
    }
}

/// Judges a U-Boot environment: boot counters, slot variables, partition lists, and what
/// runs at boot.
fn environment(
    env: &[(String, String)],
    signed: bool,
    location: &dyn Fn(usize) -> Location,
    facts: &mut Facts,
) {
    let get = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let counters: Vec<&str> = env
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| COUNTER_VARS.contains(&n.to_ascii_lowercase().as_str()))
        .collect();
    if !counters.is_empty() {
        push(
            facts,
            "boot-counter",
            None,
            &format!(
                "bootloader environment counts boots and falls back: {}",
                counters.join(", ")
            ),
            location(0),
        );
    }
    let slots: Vec<&str> = env
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| SLOT_VARS.contains(&n.to_ascii_lowercase().as_str()))
        .collect();
    if !slots.is_empty() {
        push(
            facts,
            "ab-slots",
            None,
            &format!(
                "bootloader environment selects a slot: {}",
                slots.join(", ")
            ),
            location(0),
        );
    }
    for (name, value) in env {
        if name == "mtdparts" || value.contains("mtdparts=") {
            let list = value
                .split_whitespace()
                .find(|w| w.starts_with("mtdparts="))
                .unwrap_or(value);
            if parse_mtdparts(list).len() >= 2 {
                mtdparts(list, location(0), facts);
            }
        }
    }
    // What runs at boot: the boot and recovery commands, and what they `run`.
    let mut pending: Vec<&str> = env
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            matches!(l.as_str(), "bootcmd" | "altbootcmd" | "preboot")
                || l.contains("recover")
                || l.contains("rescue")
                || l.contains("failsafe")
        })
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    while let Some(name) = pending.pop() {
        if seen.contains(&name) || seen.len() > 64 {
            continue;
        }
        seen.push(name);
        let Some(value) = get(name) else {
            continue;
        };
        let words: Vec<&str> = value
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|'))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if let [first, second] = pair {
                if *first == "run" {
                    if let Some(target) = env.iter().find(|(n, _)| n == second) {
                        pending.push(target.0.as_str());
                    }
                }
            }
        }
        let Some(commands) = command_sequence(value)
            .or_else(|| value.split_whitespace().next().map(|c| vec![c.to_owned()]))
        else {
            continue;
        };
        let Some(load) = commands
            .iter()
            .position(|c| NETWORK_LOADS.contains(&c.as_str()))
        else {
            continue;
        };
        let uses = commands
            .iter()
            .skip(load.saturating_add(1))
            .any(|c| USES.contains(&c.as_str()));
        if !uses {
            continue;
        }
        let authenticates = commands.iter().any(|c| AUTHENTICATES.contains(&c.as_str()));
        let verified = if authenticates {
            Some(true)
        } else if signed {
            None
        } else {
            Some(false)
        };
        push(
            facts,
            "network-recovery",
            verified,
            &format!("{name} loads an image over the network and uses it: {value}"),
            location(0),
        );
        if authenticates {
            push(
                facts,
                "signed-recovery",
                Some(true),
                &format!("{name} authenticates the image it loads: {value}"),
                location(0),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Files of the root filesystem.

fn env_text(file: &File<'_>, text: &str, facts: &mut Facts) {
    let mut env = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = env_entry(line) {
            env.push((name.to_owned(), value.to_owned()));
        }
    }
    let location = |_: usize| file.location();
    environment(&env, false, &location, facts);
}

fn rauc(file: &File<'_>, text: &str, facts: &mut Facts) {
    let mut classes: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(section) = line
            .strip_prefix("[slot.")
            .and_then(|s| s.strip_suffix(']'))
        else {
            continue;
        };
        let (class, index) = section.rsplit_once('.').unwrap_or((section, ""));
        match classes.iter_mut().find(|(c, _)| c == class) {
            Some((_, members)) => members.push(index.to_owned()),
            None => classes.push((class.to_owned(), vec![index.to_owned()])),
        }
    }
    let keyring = text.contains("[keyring]");
    let doubled: Vec<String> = classes
        .iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|(class, members)| format!("{class} ({} slots)", members.len()))
        .collect();
    if !doubled.is_empty() {
        push(
            facts,
            "ab-slots",
            None,
            &format!("RAUC slots {}", doubled.join(", ")),
            file.location(),
        );
    }
    let rescue: Vec<&str> = classes
        .iter()
        .map(|(c, _)| c.as_str())
        .filter(|c| c.contains("rescue") || c.contains("recovery"))
        .collect();
    if !rescue.is_empty() {
        push(
            facts,
            "recovery-partition",
            None,
            &format!("RAUC rescue slot {}", rescue.join(", ")),
            file.location(),
        );
    }
    if keyring && !classes.is_empty() {
        push(
            facts,
            "signed-recovery",
            Some(true),
            "RAUC installs only bundles signed for its keyring",
            file.location(),
        );
    }
}

fn mender(file: &File<'_>, text: &str, facts: &mut Facts) {
    if text.contains("RootfsPartA") && text.contains("RootfsPartB") {
        push(
            facts,
            "ab-slots",
            None,
            "Mender root filesystem parts A and B",
            file.location(),
        );
    }
    if text.contains("ArtifactVerifyKey") {
        push(
            facts,
            "signed-recovery",
            Some(true),
            "Mender verifies artifacts against ArtifactVerifyKey",
            file.location(),
        );
    }
}

/// Whether an `mtd write` target is a firmware partition.
fn firmware_target(target: &str) -> bool {
    let t = target.trim_matches(['"', '\'']).to_ascii_lowercase();
    if t.contains("part_name") || t.contains("partition") {
        return true;
    }
    let t = t.trim_start_matches("/dev/");
    matches!(partition_family(t), Some("kernel" | "rootfs" | "firmware"))
}

fn script(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let here = || file.line(n.saturating_add(1));
        for command in shell::commands(line) {
            let program = shell::basename(command.program());
            let args = command.args();
            let operands: Vec<&str> = args
                .iter()
                .map(String::as_str)
                .filter(|a| !a.starts_with('-') || *a == "-")
                .collect();
            match program {
                "fw_setenv" => {
                    let Some(name) = operands.first() else {
                        continue;
                    };
                    let lower = name.to_ascii_lowercase();
                    if COUNTER_VARS.contains(&lower.as_str()) {
                        push(
                            facts,
                            "boot-counter",
                            None,
                            &format!("the updater sets {name}: {}", line.trim()),
                            here(),
                        );
                    } else if SLOT_VARS.contains(&lower.as_str()) {
                        push(
                            facts,
                            "ab-slots",
                            None,
                            &format!("the updater switches slots with {name}: {}", line.trim()),
                            here(),
                        );
                    }
                }
                "mtd" => {
                    // mtd [options] write <image> <partition>
                    let write = operands.iter().position(|o| *o == "write");
                    let target = write.and_then(|at| operands.get(at.saturating_add(2)));
                    if let Some(target) = target.filter(|t| firmware_target(t)) {
                        push(
                            facts,
                            "in-place-write",
                            None,
                            &format!("mtd writes partition {target}: {}", line.trim()),
                            here(),
                        );
                    }
                }
                "dd" => {
                    if let Some(of) = args
                        .iter()
                        .find(|a| a.starts_with("of=/dev/mtd") || a.starts_with("of=/dev/mmcblk"))
                    {
                        push(
                            facts,
                            "in-place-write",
                            None,
                            &format!(
                                "dd writes {}: {}",
                                of.trim_start_matches("of="),
                                line.trim()
                            ),
                            here(),
                        );
                    }
                }
                "flashcp" | "nandwrite" => {
                    if let Some(device) = operands.iter().find(|o| o.starts_with("/dev/mtd")) {
                        push(
                            facts,
                            "in-place-write",
                            None,
                            &format!("{program} writes {device}: {}", line.trim()),
                            here(),
                        );
                    }
                }
                "swupdate" if args.iter().any(|a| a == "-e" || a.starts_with("--select")) => {
                    push(
                        facts,
                        "ab-slots",
                        None,
                        &format!("SWUpdate selects a copy: {}", line.trim()),
                        here(),
                    );
                }
                _ => {}
            }
        }
    }
}

fn failsafe(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let starts_console = shell::commands(line).iter().any(|c| {
            matches!(
                shell::basename(c.program()),
                "telnetd" | "dropbear" | "ash" | "sh"
            )
        });
        if starts_console {
            push(
                facts,
                "failsafe-console",
                None,
                &format!(
                    "OpenWrt failsafe mode, entered by a button or key press at boot, starts: {}",
                    line.trim()
                ),
                file.line(n.saturating_add(1)),
            );
        }
    }
}

fn web_page(file: &File<'_>, text: &str, facts: &mut Facts) {
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("type=\"file\"")
        || lower.contains("type='file'")
        || lower.contains("type=file")
        || lower.contains("multipart/form-data"))
    {
        return;
    }
    let line = lower
        .lines()
        .position(|l| l.contains("file") && (l.contains("type=") || l.contains("multipart")))
        .map_or(1, |n| n.saturating_add(1));
    push(
        facts,
        "web-recovery",
        None,
        &format!("firmware upload page {}", file.path()),
        file.line(line),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Limits, Unpacker};

    fn collect(files: &[(&str, &[u8])]) -> Facts {
        crate::tests::collect_files(files, &BootCollector)
    }

    fn summary(facts: &Facts) -> Vec<String> {
        facts
            .boot
            .iter()
            .map(|b| {
                let (path, line) = crate::tests::path_line(&b.location);
                format!("{} {:?} {path}:{line} | {}", b.kind, b.verified, b.detail)
            })
            .collect()
    }

    #[test]
    fn slots_counters_and_signed_updaters() {
        let facts = collect(&[
            (
                "/etc/rauc/system.conf",
                b"[system]\ncompatible=x\nbootloader=uboot\n[keyring]\npath=/etc/rauc/ca.pem\n[slot.rootfs.0]\ndevice=/dev/mmcblk0p2\nbootname=A\n[slot.rootfs.1]\ndevice=/dev/mmcblk0p3\nbootname=B\n[slot.rescue.0]\ndevice=/dev/mmcblk0p4\n",
            ),
            (
                "/etc/u-boot-initial-env",
                b"bootcmd=run distro_bootcmd\nbootlimit=3\naltbootcmd=run bootcmd_b\nBOOT_ORDER=A B\n",
            ),
            (
                "/usr/bin/mark-good.sh",
                b"#!/bin/sh\nfw_setenv upgrade_available 0\n",
            ),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "ab-slots None /etc/rauc/system.conf:0 | RAUC slots rootfs (2 slots)",
                "recovery-partition None /etc/rauc/system.conf:0 | RAUC rescue slot rescue",
                "signed-recovery Some(true) /etc/rauc/system.conf:0 | RAUC installs only bundles signed for its keyring",
                "boot-counter None /etc/u-boot-initial-env:0 | bootloader environment counts boots and falls back: bootlimit, altbootcmd",
                "ab-slots None /etc/u-boot-initial-env:0 | bootloader environment selects a slot: BOOT_ORDER",
                "boot-counter None /usr/bin/mark-good.sh:2 | the updater sets upgrade_available: fw_setenv upgrade_available 0",
            ]
        );
    }

    #[test]
    fn in_place_writers_failsafe_and_upload_pages() {
        let facts = collect(&[
            (
                "/lib/upgrade/common.sh",
                b"default_do_upgrade() {\n\tget_image \"$1\" | mtd write - \"${PART_NAME:-image}\"\n\tmtd -e rootfs_data jffs2write \"$CONF_TAR\" rootfs_data\n}\n",
            ),
            (
                "/usr/sbin/fw_upgrade.sh",
                b"#!/bin/sh\nwget -O /tmp/fw.bin http://admin:pw@x/fw.bin && mtd -r write /tmp/fw.bin firmware\nmtd write /tmp/cfg.bin config\ndd if=/tmp/k of=/dev/mtdblock2 bs=64k\n",
            ),
            (
                "/lib/preinit/99_10_failsafe_login",
                b"failsafe_netlogin () {\n    telnetd -l /bin/login.sh <> /dev/null 2>&1\n}\n",
            ),
            (
                "/www/emergency_upgrade.html",
                b"<html>\n<form method=post enctype=\"multipart/form-data\">\n<input type=\"file\" name=\"fw\">\n</form>\n",
            ),
            ("/www/upgrade.html", b"<input type=\"file\" name=\"fw\">\n"),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "failsafe-console None /lib/preinit/99_10_failsafe_login:2 | OpenWrt failsafe mode, entered by a button or key press at boot, starts: telnetd -l /bin/login.sh <> /dev/null 2>&1",
                "in-place-write None /lib/upgrade/common.sh:2 | mtd writes partition ${PART_NAME:-image}: get_image \"$1\" | mtd write - \"${PART_NAME:-image}\"",
                "in-place-write None /usr/sbin/fw_upgrade.sh:2 | mtd writes partition firmware: wget -O /tmp/fw.bin http://admin:***@x/fw.bin && mtd -r write /tmp/fw.bin firmware",
                "in-place-write None /usr/sbin/fw_upgrade.sh:4 | dd writes /dev/mtdblock2: dd if=/tmp/k of=/dev/mtdblock2 bs=64k",
                "web-recovery None /www/emergency_upgrade.html:3 | firmware upload page /www/emergency_upgrade.html",
            ]
        );
    }

    /// A bootloader as TP-Link ships it: a default environment, a TFTP recovery image name.
    fn tplink_uboot() -> Vec<u8> {
        let mut b = b"\x27\x05\x19\x56 U-Boot 1.1.4 (Sep 21 2015)\0tftpboot\0".to_vec();
        b.extend_from_slice(b"\0\0bootargs=console=ttyS0,115200 root=31:02 mtdparts=ath-nor0:32k(u-boot1),32k(u-boot2),3008k(rootfs),896k(uImage),64k(mib0),64k(ART)\0bootcmd=bootm 0x9f020000\0bootdelay=1\0lu=tftp 0x80060000 ${dir}tuboot.bin&&erase 0x9f000000 +$filesize&&cp.b $fileaddr 0x9f000000 $filesize\0\0");
        b.extend_from_slice(b"\x01\x02tftp 80800000 %s\0mr3020v1_tp_recovery.bin\0\x03");
        b.extend_from_slice(b"auto update firmware: product id verify sucess!\0");
        b
    }

    #[test]
    fn bootloader_environments_and_recovery() {
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("boot.bin", tplink_uboot());
        let image = Image::new(&unpacked);
        let mut facts = Facts::default();
        let _ = BootCollector.collect(&image, &Options::default(), &mut facts);
        let got: Vec<String> = facts
            .boot
            .iter()
            .map(|b| format!("{} {:?} | {}", b.kind, b.verified, b.detail))
            .collect();
        assert_eq!(
            got,
            vec![
                "single-slot None | partitions u-boot1, u-boot2, rootfs, uImage, mib0, ART",
                "network-recovery Some(false) | bootloader fetches the recovery image mr3020v1_tp_recovery.bin over TFTP and installs it (it checks a product id; no signature-verification code in the bootloader)",
            ]
        );
        // An environment whose boot command loads over TFTP and boots, and a command string
        // that flashes what TFTP loaded.
        let mut b = b"U-Boot 2016.01\0\0bootcmd=run netboot\0netboot=tftpboot 0x81000000 uImage; bootm 0x81000000\0rootfs_a=x\0\0".to_vec();
        b.extend_from_slice(b"\x01tftp 0x80060000 tp_recovery.bin;erase tplink 0x10000 0x3d0000;cp.b 0x80070000 0x10000 0x3d0000\0");
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("boot.bin", b);
        let image = Image::new(&unpacked);
        let mut facts = Facts::default();
        let _ = BootCollector.collect(&image, &Options::default(), &mut facts);
        let got: Vec<String> = facts
            .boot
            .iter()
            .map(|b| format!("{} {:?}", b.kind, b.verified))
            .collect();
        assert_eq!(
            got,
            vec![
                "network-recovery Some(false)",
                "network-recovery Some(false)"
            ]
        );
    }

    #[test]
    fn kernel_command_lines_give_the_layout() {
        let kernel = b"\0Linux version 2.6.31 (gcc)\0console=ttyS0,115200 root=31:2 rootfstype=squashfs mtdparts=ath-nor0:128k(u-boot),1024k(kernel),2816k(rootfs),64k(config),64k(art) mem=32M\0mtdparts=\0".to_vec();
        let unpacked = Unpacker::new(Limits::default()).unpack_bytes("k.bin", kernel);
        let image = Image::new(&unpacked);
        let mut facts = Facts::default();
        let _ = BootCollector.collect(&image, &Options::default(), &mut facts);
        let got: Vec<String> = facts.boot.iter().map(|b| b.kind.clone()).collect();
        assert_eq!(got, vec!["single-slot"]);
        let two = "mtdparts=spi0.0:256k(u-boot)ro,64k(u-boot-env),2M(kernel1),6M(rootfs1),2M(kernel2),6M(rootfs2),64k(art)";
        let mut facts = Facts::default();
        mtdparts(
            two,
            Location::Document {
                path: "d".into(),
                line: None,
                field: None,
            },
            &mut facts,
        );
        assert_eq!(facts.boot[0].kind, "ab-slots");
        assert!(
            facts.boot[0]
                .detail
                .starts_with("two kernel partitions kernel1, kernel2")
        );
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        for b in [
            b"U-Boot\0bootcmd=".to_vec(),
            b"bootcmd=\0\0U-Boot".to_vec(),
            b"\0=\0bootcmd=tftp;;;&&\0U-Boot mtdparts=:(,((),)(\0".to_vec(),
            b"Linux version mtdparts=x:1(a),2(b)".to_vec(),
            vec![0u8; 64],
        ] {
            let unpacked = Unpacker::new(Limits::default()).unpack_bytes("x.bin", b);
            let image = Image::new(&unpacked);
            let mut facts = Facts::default();
            let _ = BootCollector.collect(&image, &Options::default(), &mut facts);
        }
        let facts = collect(&[
            ("/etc/rauc/system.conf", b"[slot.]\n[slot.a.b.c]\n[slot\n"),
            (
                "/etc/u-boot-initial-env",
                b"=\nbootcmd=run bootcmd\nx=run x; run x\n",
            ),
            (
                "/lib/upgrade/x.sh",
                b"mtd write\nmtd write a\nfw_setenv\ndd of=\n",
            ),
        ]);
        assert!(facts.coverage.contains_key("boot"));
    }
}
