//! What the platform is built with: debug tooling left in, and the security mechanisms it
//! has or lacks (isolation, encryption, time sync, packet filter, lockout, enterprise
//! identity, attestation). All read the `inventory` collector's tools.
//!
//! Firmware can prove a mechanism absent (the image has no code for it), which fails the
//! check; it can rarely prove one in use, so where use is what the requirement asks, a present
//! mechanism leaves the check INCONCLUSIVE with the declaration or live test that would
//! settle it.

use hallmark_model::facts::{Facts, Tool, ToolCategory};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, rootfs_location};

/// The tools of `categories`, or `None` (and the judge told why) when the inventory did not run.
fn tools<'f>(
    judge: &mut Judge<'_>,
    facts: &'f Facts,
    categories: &[ToolCategory],
) -> Option<Vec<&'f Tool>> {
    if !judge.needs(facts, "inventory", "the tools in the image") {
        return None;
    }
    Some(
        facts
            .tools
            .iter()
            .filter(|t| categories.contains(&t.category))
            .collect(),
    )
}

fn names(tools: &[&Tool]) -> String {
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

check! {
    /// No debugging or test tooling in the production image.
    DebugTools {
        id: "platform-debug-tools",
        title: "The production image carries no debugging or test tools",
        requirements: ["ECD-7.5"],
        severity: Medium,
        doc: "## What it checks\nThe image for debuggers and tracers (`gdb`, `gdbserver`, `strace`, `ltrace`, `valgrind`, `perf`), packet capture (`tcpdump`), memory pokers (`devmem`, `devmem2`, `memtester`), vendor debug daemons (TP-Link `tddp`), and raw network pipes (`nc`, `netcat`, `ncat`, `socat`, including BusyBox applets).\n\n## Why it matters\nDevelopment tools on a shipped device make an intruder's work easy: a debugger attaches to any process and reads its secrets, `devmem` rewrites memory, `tcpdump` captures credentials, a debug daemon such as `tddp` has been a remote-code-execution hole, and `nc` turns any command injection into a remote shell.\n\n## Evidence\nEach tool with its path (a BusyBox applet is the link that installs it).\n\n## How to fix\nBuild production images from a release configuration without development packages; remove unused BusyBox applets (`nc`, `devmem`); ship diagnostics in a separate, signed debug build that is never installed on customer devices.\n\n## Inconclusive when\nNo root filesystem was examined, or the view of it was incomplete.\n",
        evaluate: debug_tools,
    }
}

fn debug_tools(check: &DebugTools, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(
        &mut judge,
        facts,
        &[ToolCategory::Debug, ToolCategory::Netcat],
    ) else {
        return judge.finish(true, "");
    };
    for t in &found {
        let (severity, what) = match (t.category, t.name.as_str()) {
            (_, "tddp") => (Severity::High, "a vendor debug daemon"),
            (ToolCategory::Netcat, _) => (
                Severity::Low,
                "a raw network pipe that makes remote shells easy",
            ),
            (_, "devmem" | "devmem2" | "memtester") => (Severity::Medium, "a physical-memory tool"),
            (_, "tcpdump") => (Severity::Medium, "a packet capture tool"),
            _ => (Severity::Medium, "a debugger or tracer"),
        };
        judge.fail(
            &t.location,
            Some(severity),
            format!("{} ({what}) is in the image", t.name),
            format!("{} installed", t.name),
            "development tools help an intruder read secrets, change memory or open a remote shell",
            "Build the production image without development tools and unused BusyBox applets.",
        );
    }
    judge.finish(
        true,
        "no debugging, tracing, packet-capture or netcat tools in the image",
    )
}

check! {
    /// Applications are isolated by access control or sandboxes.
    Isolation {
        id: "platform-isolation",
        title: "Applications are confined by mandatory access control or sandboxes",
        requirements: ["ECD-7.2"],
        severity: Medium,
        doc: "## What it checks\nThat the image has a mechanism confining applications: SELinux or AppArmor policies (`/etc/selinux`, `/etc/apparmor.d`, `load_policy`, `apparmor_parser`), Smack, seccomp policies (`/etc/seccomp`), or process sandboxes and containers (OpenWrt `ujail`, bubblewrap, firejail, minijail, LXC, runc, crun, containerd).\n\n## Why it matters\nWithout confinement every daemon can read and change everything its user can, usually root: one bug in the web interface exposes the keys, the configuration and the other services.\n\n## Evidence\nThe policies and tools found, or their absence from the root filesystem.\n\n## How to fix\nRun network-facing services in a sandbox (procd `ujail` with seccomp on OpenWrt, systemd sandboxing options, containers) and ship a mandatory access-control policy (SELinux or AppArmor) in enforcing mode.\n\n## Inconclusive when\nNo root filesystem was examined, or the view of it was incomplete.\n",
        evaluate: isolation,
    }
}

fn isolation(check: &Isolation, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(
        &mut judge,
        facts,
        &[ToolCategory::AccessControl, ToolCategory::Sandbox],
    ) else {
        return judge.finish(true, "");
    };
    // Absence is proven only by a complete view of the image.
    if found.is_empty() && facts.covered("inventory") {
        judge.fail(
            &rootfs_location(facts),
            None,
            "no access-control policy or sandbox in the image",
            "no SELinux, AppArmor, Smack or seccomp policy; no ujail, bubblewrap, minijail or container runtime",
            "every service can reach everything its user can, so one compromised service exposes the whole device",
            "Confine network-facing services with a sandbox (ujail, systemd sandboxing, containers) and ship an enforcing SELinux or AppArmor policy.",
        );
    }
    judge.finish(true, format!("confinement present: {}", names(&found)))
}

check! {
    /// The device can encrypt data at rest.
    Encryption {
        id: "platform-encryption",
        title: "The device can encrypt data it stores",
        requirements: ["ECD-3.4"],
        severity: Medium,
        doc: "## What it checks\nThat the image has storage encryption: dm-crypt (`cryptsetup`, `dm-crypt.ko`), fscrypt (`fscrypt`, `fscryptctl`) or eCryptfs (`mount.ecryptfs`).\n\n## Why it matters\nPrinters keep scanned documents, cameras keep recordings, phones keep call logs and directories: without encryption anyone who takes the storage out of a discarded or stolen device reads them.\n\n## Evidence\nThe encryption tools and modules found, or their absence from the root filesystem.\n\n## How to fix\nEncrypt partitions or directories holding user and business data (dm-crypt or fscrypt), with the key sealed to the device (TPM, secure element or a hardware-unique key), on by default.\n\n## Inconclusive when\nEncryption support is present: whether data is encrypted by default needs the manufacturer's declaration. Also when no root filesystem was examined.\n",
        evaluate: encryption,
    }
}

fn encryption(check: &Encryption, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Encryption]) else {
        return judge.finish(true, "");
    };
    // Absence is proven only by a complete view of the image.
    if found.is_empty() && facts.covered("inventory") {
        judge.fail(
            &rootfs_location(facts),
            None,
            "no storage encryption support in the image",
            "no cryptsetup, dm-crypt, fscrypt or eCryptfs",
            "data the device stores can be read by anyone who removes its storage",
            "Encrypt user and business data at rest with dm-crypt or fscrypt, keyed to the device.",
        );
    } else if !found.is_empty() {
        judge.missing(format!(
            "encryption support is present ({}); whether stored data is encrypted by default needs the manufacturer's declaration",
            names(&found)
        ));
    }
    judge.finish(true, "")
}

check! {
    /// A packet filter is available.
    Firewall {
        id: "platform-firewall",
        title: "The device has a packet filter to constrain its network reach",
        requirements: ["ECD-7.4"],
        severity: Medium,
        doc: "## What it checks\nThat the image has a packet filter: iptables, nftables, OpenWrt's fw3/fw4, ufw or firewalld.\n\n## Why it matters\nWithout a packet filter every service listens to every network it is attached to and the device can reach anything: an administrator cannot constrain it to the communications it needs.\n\n## Evidence\nThe packet-filter tools found, or their absence from the root filesystem.\n\n## How to fix\nShip a packet filter with a default-deny inbound policy and documented allow rules, configurable by the administrator.\n\n## Inconclusive when\nA packet filter is present: whether its default rules deny unsolicited traffic needs a network probe or the manufacturer's documented rule set (default rule sets are not analysed yet). Also when no root filesystem was examined.\n",
        evaluate: firewall,
    }
}

fn firewall(check: &Firewall, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Firewall]) else {
        return judge.finish(true, "");
    };
    // Absence is proven only by a complete view of the image.
    if found.is_empty() && facts.covered("inventory") {
        judge.fail(
            &rootfs_location(facts),
            None,
            "no packet filter in the image",
            "no iptables, nftables, fw3/fw4, ufw or firewalld",
            "the device's network reach cannot be constrained",
            "Ship a packet filter with a default-deny inbound policy and documented allow rules.",
        );
    } else if !found.is_empty() {
        judge.missing(format!(
            "a packet filter is present ({}); whether its default rules deny unsolicited traffic needs a network probe or the documented rule set",
            names(&found)
        ));
    }
    judge.finish(true, "")
}

check! {
    /// The clock is synchronised.
    TimeSync {
        id: "platform-time-sync",
        title: "The device synchronises its clock for reliable log timestamps",
        requirements: ["ECD-10.2"],
        severity: Medium,
        doc: "## What it checks\nThat a time-synchronisation client (ntpd, BusyBox ntpd, ntpclient, sntp, chronyd, systemd-timesyncd) is started at boot.\n\n## Why it matters\nMany devices have no battery-backed clock: without synchronisation their logs carry wrong times, cannot be correlated with the rest of the estate, and certificate validity cannot be checked.\n\n## Evidence\nThe client and what starts it, or the absence of any client from the image.\n\n## How to fix\nStart an NTP client by default, let the administrator set the enterprise time servers, and prefer authenticated time (NTS) where supported.\n\n## Inconclusive when\nA client is present but not seen being started (it may be started by a vendor program or configuration we do not read), or no root filesystem was examined.\n",
        evaluate: time_sync,
    }
}

fn time_sync(check: &TimeSync, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::TimeSync]) else {
        return judge.finish(true, "");
    };
    let started: Vec<&str> = facts
        .services
        .iter()
        .filter(|s| s.service == "ntp" && s.started_by != "config")
        .map(|s| s.program.as_str())
        .collect();
    if !started.is_empty() {
        return judge.finish(
            true,
            format!("time synchronisation started: {}", started.join(", ")),
        );
    }
    // Absence is proven only by a complete view of the image.
    if found.is_empty() && facts.covered("inventory") {
        judge.fail(
            &rootfs_location(facts),
            None,
            "no time-synchronisation client in the image",
            "no ntpd, ntpclient, sntp, chronyd or systemd-timesyncd",
            "log timestamps drift and cannot be correlated; certificate validity cannot be checked",
            "Start an NTP client by default with administrator-settable servers.",
        );
    } else if !facts.covered("services") {
        judge.missing(
            "which services start at boot: the services collector saw only part of the image",
        );
    } else {
        judge.missing(format!(
            "time-synchronisation code is present ({}) but not seen being started by default",
            names(&found)
        ));
    }
    judge.finish(true, "")
}

check! {
    /// Logins lock out after repeated failures.
    Lockout {
        id: "platform-lockout",
        title: "System logins resist password guessing (lockout or back-off)",
        requirements: ["ECD-2.4"],
        severity: Medium,
        doc: "## What it checks\nWhether the image offers password logins to the system over the network (telnet, SSH with password authentication) and, if so, whether it has a mechanism that slows or locks out repeated failures (PAM `pam_faillock` or `pam_tally2`, fail2ban, sshguard).\n\n## Why it matters\nA login that can be tried without limit will eventually give way to guessing; botnets try default and common passwords against every device they find.\n\n## Evidence\nThe login services started and the lockout tools found (or their absence).\n\n## How to fix\nLimit failed attempts per account and source (exponential back-off or temporary lockout), log them, and prefer key-based SSH with password logins off.\n\n## Inconclusive when\nA lockout tool is present (whether it guards these logins needs a live test), no password login is started (web logins need a live test), or no root filesystem was examined.\n",
        evaluate: lockout,
    }
}

fn lockout(check: &Lockout, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Lockout]) else {
        return judge.finish(true, "");
    };
    if !judge.needs(facts, "services", "the login services started") {
        return judge.finish(true, "");
    }
    let logins: Vec<&hallmark_model::facts::Service> = facts
        .services
        .iter()
        .filter(|s| {
            s.started_by != "config"
                && (s.service == "telnet"
                    || (s.service == "ssh"
                        && s.settings.get("password_logins").map(String::as_str) != Some("no")))
        })
        .collect();
    if logins.is_empty() {
        judge.missing("the image starts no telnet or SSH password login; whether web and other logins slow down guessing needs a live test");
    } else if found.is_empty() && facts.covered("inventory") {
        for s in &logins {
            judge.fail(
                &s.location,
                None,
                format!("{} password logins have no lockout or back-off", s.service),
                format!("{} started; no pam_faillock, pam_tally2, fail2ban or sshguard in the image", s.program),
                "passwords can be guessed without limit",
                "Add a lockout or back-off for failed logins (pam_faillock, fail2ban), or disable password logins in favour of keys.",
            );
        }
    } else if !found.is_empty() {
        judge.missing(format!(
            "a lockout mechanism is present ({}); whether it guards the {} logins needs a live test",
            names(&found),
            logins
                .iter()
                .map(|s| s.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    judge.finish(true, "")
}

check! {
    /// The device can use enterprise identity.
    Identity {
        id: "platform-identity",
        title: "The device can authenticate users against enterprise identity services",
        requirements: ["ECD-2.5"],
        severity: Medium,
        doc: "## What it checks\nThat the image has a client for enterprise identity: LDAP (`pam_ldap`, `nslcd`, `libldap`), RADIUS (`pam_radius_auth`, `libradcli`), Kerberos (`pam_krb5`, `kinit`, `libkrb5`), SSSD, or an 802.1X supplicant (`wpa_supplicant`).\n\n## Why it matters\nDevices that only know local accounts end up with shared passwords that are never rotated and survive staff leaving; enterprise identity gives individual accounts, central revocation and multi-factor authentication.\n\n## Evidence\nThe identity clients found, or their absence from the root filesystem.\n\n## How to fix\nSupport LDAP or RADIUS (or SAML/OIDC for web management) for administrator logins, with multi-factor authentication, and 802.1X for network access.\n\n## Inconclusive when\nAn identity client is present: whether it serves administrator logins, and multi-factor support, need the manufacturer's declaration. Also when no root filesystem was examined.\n",
        evaluate: identity,
    }
}

fn identity(check: &Identity, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Identity]) else {
        return judge.finish(true, "");
    };
    // Absence is proven only by a complete view of the image.
    if found.is_empty() && facts.covered("inventory") {
        judge.fail(
            &rootfs_location(facts),
            None,
            "no enterprise identity client in the image",
            "no LDAP, RADIUS, Kerberos, SSSD or 802.1X client",
            "administrators can only use local, usually shared, accounts",
            "Support LDAP or RADIUS for administrator logins with multi-factor authentication.",
        );
    } else if !found.is_empty() {
        judge.missing(format!(
            "identity clients are present ({}); whether administrator logins use them, and multi-factor support, need the manufacturer's declaration",
            names(&found)
        ));
    }
    judge.finish(true, "")
}

check! {
    /// The device can attest its state where it has a TPM.
    Attestation {
        id: "platform-attestation",
        title: "A device with a TPM can attest its health remotely",
        requirements: ["ECD-5.3"],
        severity: Low,
        doc: "## What it checks\nWhether the image supports a Trusted Platform Module (TPM drivers, `tpm2-tools`, `tcsd`) and, if so, whether it carries an attestation agent (Keylime `keylime_agent`).\n\n## Why it matters\nRemote attestation lets a fleet manager verify that a device booted the software it should, instead of trusting what a possibly compromised device reports about itself.\n\n## Evidence\nThe TPM support and attestation agent found.\n\n## How to fix\nWhere the hardware has a TPM, measure the boot chain into it and ship an attestation agent the enterprise can query.\n\n## Inconclusive when\nTPM support is present without an agent (attestation may be offered by a vendor service: declaration needed). Not applicable when the image has no TPM support at all, which suggests hardware without one.\n",
        evaluate: attestation,
    }
}

fn attestation(check: &Attestation, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Tpm]) else {
        return judge.finish(true, "");
    };
    if found.is_empty() && facts.covered("inventory") {
        return judge.finish(
            false,
            "the image has no TPM support (drivers or tools), which suggests hardware without a TPM",
        );
    }
    if found.is_empty() {
        // A partial view: already recorded as missing.
        return judge.finish(true, "");
    }
    if found.iter().any(|t| t.name == "keylime_agent") {
        return judge.finish(
            true,
            format!("attestation agent present ({})", names(&found)),
        );
    }
    judge.missing(format!(
        "TPM support is present ({}) but no attestation agent; whether the device offers attestation needs the manufacturer's declaration",
        names(&found)
    ));
    judge.finish(true, "")
}

check! {
    /// What the image shows of verified boot and integrity protection.
    BootIntegrity {
        id: "platform-boot-integrity",
        title: "Boot and system integrity are verified from a root of trust",
        requirements: ["ECD-4.1", "ECD-4.3", "ECD-4.4"],
        severity: High,
        doc: "## What it checks\nCollects the evidence an image can give about verified boot and runtime integrity: integrity tooling (dm-verity and `veritysetup`, IMA/EVM policies and `evmctl`, Android verified boot `avbctl`) and the containers the kernel and root filesystem come in (a legacy uImage, TRX or TP-Link header carries only a checksum; a FIT image can carry signatures).\n\n## Why it matters\nWithout a chain of signature checks from a hardware root of trust, anyone who can write the flash once (through an update flaw or physical access) owns the device permanently, and nothing notices.\n\n## Evidence\nThe integrity tools found and the container formats of the image.\n\n## How to fix\nSign the kernel and root filesystem (signed FIT images with the key marked required in the bootloader, or UEFI Secure Boot), protect the root filesystem with dm-verity bound to the signed kernel, enforce rollback indexes, and have the device refuse to boot, or fall back to a known good image, when verification fails.\n\n## Inconclusive when\nAlways from firmware alone: whether the bootloader enforces signatures, whether the key is fused in hardware and what happens on a failed check are properties of the boot ROM and bootloader, which need the manufacturer's declaration. The evidence found is listed with the verdict.\n",
        evaluate: boot_integrity,
    }
}

fn boot_integrity(check: &BootIntegrity, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(found) = tools(&mut judge, facts, &[ToolCategory::Integrity]) else {
        return judge.finish(true, "");
    };
    let mut containers: Vec<&str> = facts
        .image
        .iter()
        .flat_map(|i| &i.layers)
        .map(String::as_str)
        .filter(|l| {
            matches!(
                *l,
                "uimage" | "fit" | "trx" | "tplink" | "tplink-img0" | "android-sparse"
            )
        })
        .collect();
    containers.sort_unstable();
    containers.dedup();
    let tooling = if found.is_empty() {
        "no dm-verity, IMA/EVM or verified-boot tooling in the image".to_owned()
    } else {
        format!("integrity tooling present: {}", names(&found))
    };
    let packaging = if containers.is_empty() {
        String::new()
    } else {
        format!("; kernel/rootfs containers: {}", containers.join(", "))
    };
    judge.missing(format!(
        "{tooling}{packaging}; whether the bootloader verifies signatures from a hardware root of trust, rejects rollback and fails safe needs the manufacturer's declaration"
    ));
    judge.finish(true, "")
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_location, not_run};
    use hallmark_model::Verdict;
    use hallmark_model::facts::{CoverageStatus, Service};

    fn tool(category: ToolCategory, name: &str) -> Tool {
        Tool {
            category,
            name: name.into(),
            location: image_location(&format!("/usr/bin/{name}")),
        }
    }

    fn inventory(tools: &[(ToolCategory, &str)]) -> Facts {
        facts_with("inventory", |f| {
            f.tools = tools.iter().map(|(c, n)| tool(*c, n)).collect();
        })
    }

    fn service(service: &str, program: &str, settings: &[(&str, &str)]) -> Service {
        Service {
            service: service.into(),
            program: program.into(),
            args: Vec::new(),
            started_by: "init-script".into(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            location: image_location("/etc/init.d/S50svc"),
        }
    }

    fn with_services(mut facts: Facts, services: Vec<Service>) -> Facts {
        facts
            .coverage
            .insert("services".into(), facts.coverage["inventory"].clone());
        facts.services = services;
        facts
    }

    fn partial(mut facts: Facts) -> Facts {
        facts.coverage.get_mut("inventory").unwrap().status = CoverageStatus::Partial;
        facts
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use ToolCategory::*;
        use Verdict::*;
        let telnet = || service("telnet", "telnetd", &[]);
        let mut out: Vec<Fixture> = vec![
            (
                "platform-debug-tools",
                Fail,
                inventory(&[(Debug, "gdbserver"), (Netcat, "nc")]),
            ),
            (
                "platform-debug-tools",
                Pass,
                inventory(&[(TimeSync, "ntpd")]),
            ),
            ("platform-debug-tools", Inconclusive, not_run("inventory")),
            ("platform-isolation", Fail, inventory(&[])),
            (
                "platform-isolation",
                Pass,
                inventory(&[(AccessControl, "usr.sbin.httpd")]),
            ),
            (
                "platform-time-sync",
                Fail,
                with_services(inventory(&[]), vec![]),
            ),
            (
                "platform-time-sync",
                Pass,
                with_services(
                    inventory(&[(TimeSync, "ntpd")]),
                    vec![service("ntp", "ntpd", &[])],
                ),
            ),
            (
                "platform-time-sync",
                Inconclusive,
                with_services(inventory(&[(TimeSync, "httpd (NTP strings)")]), vec![]),
            ),
            (
                "platform-lockout",
                Fail,
                with_services(inventory(&[]), vec![telnet()]),
            ),
            (
                "platform-lockout",
                Inconclusive,
                with_services(inventory(&[(Lockout, "pam_faillock.so")]), vec![telnet()]),
            ),
            ("platform-attestation", NotApplicable, inventory(&[])),
            (
                "platform-attestation",
                Pass,
                inventory(&[(Tpm, "tpm2_quote"), (Tpm, "keylime_agent")]),
            ),
            (
                "platform-attestation",
                Inconclusive,
                inventory(&[(Tpm, "tpm_tis.ko")]),
            ),
        ];
        for (id, category, name) in [
            ("platform-encryption", Encryption, "cryptsetup"),
            ("platform-firewall", Firewall, "nft"),
            ("platform-identity", Identity, "wpa_supplicant"),
        ] {
            out.push((id, Fail, inventory(&[])));
            out.push((id, Inconclusive, inventory(&[(category, name)])));
        }
        out.push((
            "platform-boot-integrity",
            Inconclusive,
            inventory(&[(Integrity, "veritysetup")]),
        ));
        out.push(("platform-boot-integrity", Inconclusive, inventory(&[])));
        for id in [
            "platform-isolation",
            "platform-time-sync",
            "platform-lockout",
        ] {
            out.push((id, Inconclusive, not_run("inventory")));
        }
        out
    }

    #[test]
    fn debug_tools() {
        let o = DebugTools.evaluate(&inventory(&[
            (ToolCategory::Debug, "gdbserver"),
            (ToolCategory::Debug, "tddp"),
            (ToolCategory::Netcat, "nc"),
            (ToolCategory::TimeSync, "ntpd"),
        ]));
        assert_eq!(o.verdict, Verdict::Fail);
        let got: Vec<(String, Severity)> = o
            .findings
            .iter()
            .map(|f| (f.title.clone(), f.severity))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].0.starts_with("gdbserver (a debugger"));
        assert_eq!(got[1].1, Severity::High);
        assert_eq!(got[2].1, Severity::Low);
        assert_eq!(DebugTools.evaluate(&inventory(&[])).verdict, Verdict::Pass);
        assert_eq!(
            DebugTools.evaluate(&partial(inventory(&[]))).verdict,
            Verdict::Inconclusive
        );
        assert_eq!(
            DebugTools.evaluate(&Facts::default()).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn presence_of_a_mechanism() {
        // Absent: fail, at the root filesystem.
        for check in [&Isolation as &dyn Check, &Encryption, &Firewall, &Identity] {
            let o = check.evaluate(&inventory(&[(ToolCategory::Debug, "strace")]));
            assert_eq!(o.verdict, Verdict::Fail, "{}", check.id());
            assert!(o.findings[0].title.starts_with("no "), "{}", check.id());
            assert_eq!(
                check.evaluate(&partial(inventory(&[]))).verdict,
                Verdict::Inconclusive,
                "{}",
                check.id()
            );
        }
        // Present: isolation passes; the others need a declaration or a live test.
        let o = Isolation.evaluate(&inventory(&[(ToolCategory::Sandbox, "ujail")]));
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(o.summary.contains("ujail"));
        for (check, category, name) in [
            (
                &Encryption as &dyn Check,
                ToolCategory::Encryption,
                "cryptsetup",
            ),
            (&Firewall, ToolCategory::Firewall, "iptables"),
            (&Identity, ToolCategory::Identity, "pam_radius_auth.so"),
        ] {
            let o = check.evaluate(&inventory(&[(category, name)]));
            assert_eq!(o.verdict, Verdict::Inconclusive, "{}", check.id());
            assert!(o.missing[0].contains(name), "{o:?}");
        }
    }

    #[test]
    fn time_sync() {
        let started = with_services(
            inventory(&[(ToolCategory::TimeSync, "ntpd")]),
            vec![service("ntp", "/usr/sbin/ntpd", &[])],
        );
        assert_eq!(TimeSync.evaluate(&started).verdict, Verdict::Pass);
        let idle = with_services(inventory(&[(ToolCategory::TimeSync, "ntpd")]), vec![]);
        let o = TimeSync.evaluate(&idle);
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing[0].contains("not seen being started"));
        let none = with_services(inventory(&[]), vec![]);
        let o = TimeSync.evaluate(&none);
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            TimeSync.evaluate(&Facts::default()).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn lockout() {
        let telnet = || service("telnet", "telnetd", &[]);
        let ssh_keys_only = || service("ssh", "dropbear", &[("password_logins", "no")]);
        let o = Lockout.evaluate(&with_services(
            inventory(&[]),
            vec![telnet(), ssh_keys_only()],
        ));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1, "key-only SSH is not a password login");
        assert!(o.findings[0].title.starts_with("telnet password logins"));
        let o = Lockout.evaluate(&with_services(
            inventory(&[(ToolCategory::Lockout, "pam_faillock.so")]),
            vec![telnet()],
        ));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        let o = Lockout.evaluate(&with_services(inventory(&[]), vec![ssh_keys_only()]));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing[0].contains("no telnet or SSH password login"));
        // Without the services collector there is nothing to judge.
        assert_eq!(
            Lockout.evaluate(&inventory(&[])).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn attestation() {
        assert_eq!(
            Attestation.evaluate(&inventory(&[])).verdict,
            Verdict::NotApplicable
        );
        assert_eq!(
            Attestation
                .evaluate(&inventory(&[(ToolCategory::Tpm, "tpm2_quote")]))
                .verdict,
            Verdict::Inconclusive
        );
        assert_eq!(
            Attestation
                .evaluate(&inventory(&[
                    (ToolCategory::Tpm, "tpm2_quote"),
                    (ToolCategory::Tpm, "keylime_agent")
                ]))
                .verdict,
            Verdict::Pass
        );
        assert_eq!(
            Attestation.evaluate(&partial(inventory(&[]))).verdict,
            Verdict::Inconclusive
        );
    }
}
