//! Surviving bad updates and recovering safely (principles 1 and 11): firmware slots and
//! fallback, and the authentication of recovery paths. Both read the `boot` collector.

use hallmark_model::facts::{BootMechanism, Facts};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, path_of};

/// In-place writers listed one by one; the rest are counted.
const MAX_LISTED: usize = 5;

fn of_kind<'f>(facts: &'f Facts, kinds: &[&str]) -> Vec<&'f BootMechanism> {
    facts
        .boot
        .iter()
        .filter(|b| kinds.contains(&b.kind.as_str()))
        .collect()
}

fn where_(b: &BootMechanism) -> String {
    let path = path_of(&b.location);
    if path.is_empty() {
        b.location.to_string()
    } else {
        path
    }
}

check! {
    /// A failed or interrupted update leaves the device working.
    FailSafe {
        id: "updates-fail-safe",
        title: "A failed or interrupted update leaves a working firmware to boot",
        requirements: ["ECD-1.5"],
        severity: Medium,
        doc: "## What it checks\nHow the image stores and replaces its firmware: a second slot (RAUC slots, Mender parts A and B, SWUpdate copy selection, two kernel or root filesystem partitions in an `mtdparts` list, slot variables in the U-Boot environment), boot counting with fallback (`bootcount`, `bootlimit`, `altbootcmd`, `upgrade_available`, in the environment or set by the updater with `fw_setenv`), or a recovery partition. Against that, update code that overwrites the only firmware partition in place (`mtd write ... firmware`, as OpenWrt's `sysupgrade` does, `dd` to an MTD device, `flashcp`) and partition lists with a single kernel and root filesystem.\n\n## Why it matters\nAn update that dies half way (power cut, network loss, a bad image) over the only copy of the firmware leaves a device that no longer boots and needs a site visit. Administrators who fear bricking phones or door controllers delay patches, and delayed patches leave known flaws open.\n\n## Evidence\nThe slot, counter or recovery partition found (configuration file, bootloader environment or kernel command line); or the script and line that writes the firmware partition in place, and the single-slot partition list.\n\n## How to fix\nWrite updates to an inactive slot and switch only after a complete, verified write (RAUC, SWUpdate dual copy, Mender); enable boot counting in the bootloader (`CONFIG_BOOTCOUNT_LIMIT`, `bootlimit`, `altbootcmd`) and mark the new slot good only after a health check; keep a read-only recovery image where two slots do not fit.\n\n## Inconclusive when\nThe image shows neither a fallback nor an update path that writes flash (updates may be done by a vendor program or the bootloader: the manufacturer's declaration is needed), or no root filesystem was examined, or the view of it was incomplete.\n",
        evaluate: fail_safe,
    }
}

fn fail_safe(check: &FailSafe, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "boot", "firmware slots and update writers") {
        return judge.finish(true, "");
    }
    let fallback = of_kind(facts, &["ab-slots", "boot-counter", "recovery-partition"]);
    if !fallback.is_empty() {
        let list: Vec<String> = fallback
            .iter()
            .map(|b| format!("{} ({})", b.detail, where_(b)))
            .collect();
        return judge.finish(true, format!("fallback present: {}", list.join("; ")));
    }
    let writers = of_kind(facts, &["in-place-write"]);
    let single = of_kind(facts, &["single-slot"]);
    for b in writers.iter().take(MAX_LISTED) {
        judge.fail(
            &b.location,
            None,
            format!("{} overwrites the firmware in place, with no second slot to fall back to", where_(b)),
            b.detail.clone(),
            "an update interrupted or gone wrong while the only firmware is being rewritten leaves a device that does not boot",
            "Write updates to an inactive slot and switch after a verified write, with boot counting to fall back; or keep a recovery image.",
        );
    }
    for b in &single {
        judge.fail(
            &b.location,
            None,
            "the flash layout has a single firmware slot and no recovery partition",
            b.detail.clone(),
            "every update rewrites the only kernel and root filesystem: a failed update leaves nothing to boot",
            "Lay out two kernel and root filesystem slots (or a recovery image) and fall back with boot counting.",
        );
    }
    if writers.len() > MAX_LISTED {
        // Listed ones already fail; the count is for the reader.
        judge.missing(format!(
            "{} more places write the firmware in place",
            writers.len().saturating_sub(MAX_LISTED)
        ));
    }
    if writers.is_empty() && single.is_empty() {
        judge.missing("the image shows neither a fallback (second slot, boot counter, recovery partition) nor update code that writes flash; how updates are installed needs the manufacturer's declaration");
    }
    judge.finish(true, "")
}

check! {
    /// Recovery paths accept only authenticated images.
    RecoveryAuthenticated {
        id: "recovery-authenticated",
        title: "Recovery paths accept only signed images",
        requirements: ["ECD-11.4"],
        severity: High,
        doc: "## What it checks\nThe recovery paths the image reveals: U-Boot environment commands run at boot (`bootcmd`, `altbootcmd`, `preboot`, recovery variables and what they `run`) that load an image over the network (`tftp`, `dhcp`, `nfs`) and boot or flash it; command strings and TFTP recovery image names (`*_tp_recovery.bin`) compiled into bootloaders in the image; bootloader web failsafes and emergency firmware-upload pages; OpenWrt failsafe mode. Each is checked for an authentication step (`hab_auth_img`, `ahab_auth`, FIT signature code in the bootloader) or, for the slots of RAUC, SWUpdate and Mender, a signing key.\n\n## Why it matters\nRecovery modes are built to work when everything else is broken, which makes them a favourite way round the normal update checks: a bootloader that flashes whatever a TFTP server offers, or a rescue page that accepts any file, lets anyone on the network segment (or with a moment at the device) install persistent malicious firmware.\n\n## Evidence\nThe environment variable, bootloader string or page and where it is (the bootloader layer and offset, or the file and line).\n\n## How to fix\nVerify images in every recovery path with the same signature check as normal boot (U-Boot FIT images with `required` keys, or the SoC's authenticated boot), refuse older versions, and remove network recovery from production builds or gate it behind a physical action and a signed image.\n\n## Inconclusive when\nNo recovery path of the image shows whether it checks signatures (the bootloader is often not part of an update image: the manufacturer's declaration is needed), or no root filesystem was examined, or the view of it was incomplete. OpenWrt failsafe mode needs a button or key press at boot, which is the proof of physical presence the requirement allows; it is reported, not failed.\n",
        evaluate: recovery_authenticated,
    }
}

fn recovery_authenticated(check: &RecoveryAuthenticated, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "boot", "recovery paths") {
        return judge.finish(true, "");
    }
    // Whether anything in the image verifies update signatures (for upload pages, whose
    // handler is not visible).
    let signed_updates = facts.covered("updates")
        && facts
            .updates
            .iter()
            .any(|u| u.signature_verified == Some(true));
    let unsigned_updates = facts.covered("updates") && !signed_updates;
    let mut signed = Vec::new();
    let mut gated = Vec::new();
    for b in &facts.boot {
        match (b.kind.as_str(), b.verified) {
            ("network-recovery", Some(false)) => judge.fail(
                &b.location,
                None,
                "bootloader network recovery installs or boots images without checking a signature",
                b.detail.clone(),
                "anyone who can answer the device's TFTP or DHCP requests during boot can install their own firmware",
                "Verify recovery images with the same signature check as normal boot, or remove network recovery from production builds.",
            ),
            ("web-recovery", Some(false)) => judge.fail(
                &b.location,
                None,
                "bootloader web failsafe accepts firmware without checking a signature",
                b.detail.clone(),
                "whoever reaches the failsafe page can install their own firmware",
                "Verify uploaded images with a signature check, or remove the web failsafe from production builds.",
            ),
            ("web-recovery", None) if unsigned_updates => judge.fail(
                &b.location,
                Some(Severity::Medium),
                format!("emergency firmware upload page {}", where_(b)),
                format!("{}; no update path of the image verifies signatures", b.detail),
                "an upload page for recovery installs what it is given unless a signature is checked, and nothing in the image checks one",
                "Check a signature on every uploaded image and require authentication on the recovery page.",
            ),
            ("network-recovery" | "web-recovery" | "signed-recovery", Some(true)) => {
                signed.push(format!("{} ({})", b.detail, where_(b)));
            }
            ("network-recovery" | "web-recovery", _) => judge.missing(format!(
                "whether this recovery path checks signatures: {} ({})",
                b.detail,
                where_(b)
            )),
            ("failsafe-console", _) => {
                let at = where_(b);
                if !gated.contains(&at) {
                    gated.push(at);
                }
            }
            _ => {}
        }
    }
    if signed.is_empty() {
        judge.missing(format!(
            "no recovery path in the image shows a signature check{}; bootloader recovery modes (often not in the update image) need the manufacturer's declaration",
            if gated.is_empty() {
                String::new()
            } else {
                format!(
                    " (OpenWrt failsafe mode at {} needs a button or key press at boot: physical presence)",
                    gated.join(", ")
                )
            }
        ));
    }
    judge.finish(
        true,
        format!(
            "recovery images are signature-checked: {}{}",
            signed.join("; "),
            if gated.is_empty() {
                String::new()
            } else {
                format!(
                    "; failsafe console gated by physical presence at {}",
                    gated.join(", ")
                )
            }
        ),
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_line, not_run, seen};
    use hallmark_model::facts::{Coverage, CoverageStatus, UpdateMechanism};
    use hallmark_model::{Location, Verdict};

    fn mechanism(kind: &str, verified: Option<bool>, detail: &str, at: Location) -> BootMechanism {
        BootMechanism {
            kind: kind.into(),
            verified,
            detail: detail.into(),
            location: at,
        }
    }

    fn bootloader(offset: u64) -> Location {
        Location::Image {
            image: "fw.bin".into(),
            chain: Vec::new(),
            path: Some("/bootloader".into()),
            offset: Some(offset),
            line: None,
        }
    }

    fn with(boot: Vec<BootMechanism>) -> Facts {
        facts_with("boot", |f| f.boot = boot)
    }

    fn rauc_slots() -> BootMechanism {
        mechanism(
            "ab-slots",
            None,
            "RAUC slots rootfs (2 slots)",
            image_line("/etc/rauc/system.conf", 6),
        )
    }

    fn rauc_keyring() -> BootMechanism {
        mechanism(
            "signed-recovery",
            Some(true),
            "RAUC installs only bundles signed for its keyring",
            image_line("/etc/rauc/system.conf", 4),
        )
    }

    fn sysupgrade() -> BootMechanism {
        mechanism(
            "in-place-write",
            None,
            "mtd writes partition ${PART_NAME:-image}: mtd write - \"${PART_NAME:-image}\"",
            image_line("/lib/upgrade/common.sh", 197),
        )
    }

    fn single() -> BootMechanism {
        mechanism(
            "single-slot",
            None,
            "partitions u-boot, kernel, rootfs, config, art",
            bootloader(0x2000),
        )
    }

    fn tftp_recovery() -> BootMechanism {
        mechanism(
            "network-recovery",
            Some(false),
            "bootloader fetches the recovery image wr940nv4_tp_recovery.bin over TFTP and installs it",
            bootloader(0x1b2c0),
        )
    }

    fn failsafe() -> BootMechanism {
        mechanism(
            "failsafe-console",
            None,
            "OpenWrt failsafe mode starts telnetd",
            image_line("/lib/preinit/99_10_failsafe_login", 16),
        )
    }

    fn upload_page() -> BootMechanism {
        mechanism(
            "web-recovery",
            None,
            "firmware upload page /www/emergency.html",
            image_line("/www/emergency.html", 3),
        )
    }

    /// `facts` with the updates collector run, finding `updates`.
    fn and_updates(mut facts: Facts, signed: bool) -> Facts {
        facts.coverage.insert(
            "updates".into(),
            Coverage {
                status: CoverageStatus::Complete,
                examined: 1,
                notes: Vec::new(),
            },
        );
        facts.updates.push(UpdateMechanism {
            mechanism: "opkg".into(),
            signature_verified: Some(signed),
            sources: Vec::new(),
            tls_verification_disabled: false,
            keys: Vec::new(),
            location: image_line("/etc/opkg.conf", 1),
        });
        facts
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let safe = "updates-fail-safe";
        let rec = "recovery-authenticated";
        vec![
            (safe, Fail, with(vec![sysupgrade(), failsafe()])),
            (safe, Fail, with(vec![single(), tftp_recovery()])),
            (safe, Pass, with(vec![rauc_slots(), sysupgrade()])),
            (safe, Inconclusive, with(vec![failsafe()])),
            (safe, Inconclusive, not_run("boot")),
            (rec, Fail, with(vec![tftp_recovery(), rauc_keyring()])),
            (
                rec,
                Pass,
                with(vec![rauc_slots(), rauc_keyring(), failsafe()]),
            ),
            // Failsafe mode is gated by physical presence; nothing shows a signature check.
            (rec, Inconclusive, with(vec![failsafe(), sysupgrade()])),
            // An upload page whose handler may verify (the image has signed updates).
            (
                rec,
                Inconclusive,
                and_updates(with(vec![upload_page()]), true),
            ),
            (rec, Inconclusive, not_run("boot")),
        ]
    }

    #[test]
    fn in_place_writes_fail_where_they_write() {
        let o = FailSafe.evaluate(&with(vec![sysupgrade(), single()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![
                (
                    "/lib/upgrade/common.sh overwrites the firmware in place, with no second slot to fall back to",
                    Severity::Medium,
                    (Some("/lib/upgrade/common.sh"), Some(197))
                ),
                (
                    "the flash layout has a single firmware slot and no recovery partition",
                    Severity::Medium,
                    (Some("/bootloader"), None)
                ),
            ]
        );
        let o = FailSafe.evaluate(&with(vec![rauc_slots(), sysupgrade()]));
        assert_eq!(
            o.summary,
            "fallback present: RAUC slots rootfs (2 slots) (/etc/rauc/system.conf)"
        );
    }

    #[test]
    fn unsigned_recovery_fails_and_failsafe_is_reported() {
        let o = RecoveryAuthenticated.evaluate(&with(vec![tftp_recovery()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![(
                "bootloader network recovery installs or boots images without checking a signature",
                Severity::High,
                (Some("/bootloader"), None)
            )]
        );
        // An upload page fails when nothing in the image checks update signatures (an
        // absence, so only on a complete view: not a registry fixture).
        let o = RecoveryAuthenticated.evaluate(&and_updates(with(vec![upload_page()]), false));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![(
                "emergency firmware upload page /www/emergency.html",
                Severity::Medium,
                (Some("/www/emergency.html"), Some(3))
            )]
        );
        let o = RecoveryAuthenticated.evaluate(&with(vec![failsafe()]));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing[0].contains("physical presence"), "{o:?}");
        let o = RecoveryAuthenticated.evaluate(&with(vec![rauc_keyring(), failsafe()]));
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(
            o.summary
                .contains("failsafe console gated by physical presence")
        );
    }
}
