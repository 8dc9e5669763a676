//! Logging and recovery (principles 10 and 11).

use hallmark_model::Outcome;
use hallmark_model::facts::Facts;

use super::check;
use crate::util::Judge;

check! {
    /// A log daemon runs.
    LogDaemon {
        id: "logging-daemon",
        title: "The device runs a log daemon",
        requirements: ["ECD-10.1"],
        severity: Medium,
        doc: "## What it checks\nThat the firmware starts a log daemon (syslogd, rsyslogd, syslog-ng, OpenWrt logd, systemd-journald) or ships its configuration.\n\n## Why it matters\nWithout a log daemon, logins, configuration changes and failures leave no trace: incidents cannot be detected or investigated.\n\n## Evidence\nThe start-up line or configuration of the log daemon.\n\n## How to fix\nStart a syslog daemon at boot and make the security-relevant components (login, SSH, web UI, update) log to it; keep a ring buffer sized for at least a day of events.\n\n## Inconclusive when\nNo start-up configuration was examined. Whether each security-relevant event is logged needs a live test or the manufacturer's declaration.\n",
        evaluate: daemon,
    }
}

fn daemon(check: &LogDaemon, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "logging", "logging configuration") {
        return judge.finish(true, "");
    }
    if facts.logging.is_empty() {
        judge.missing("no log daemon is started or configured in the image; logging may live in a vendor binary: a live test or declaration must show which events are logged");
        return judge.finish(true, "");
    }
    let names: Vec<&str> = facts.logging.iter().map(|l| l.mechanism.as_str()).collect();
    judge.missing("whether security-relevant events (logins, configuration changes, updates) are actually logged needs a live test or the manufacturer's declaration");
    judge.finish(true, format!("log daemon present: {}", names.join(", ")))
}

check! {
    /// Logs can be forwarded over a protected channel.
    RemoteLogging {
        id: "logging-remote",
        title: "Logs are forwarded to a collector over a protected channel",
        requirements: ["ECD-10.3"],
        severity: Medium,
        doc: "## What it checks\nRemote log destinations configured in the image (BusyBox `syslogd -R`, rsyslog `@`/`@@`/omfwd, syslog-ng network destinations, OpenWrt `log_ip`) and whether they use TLS.\n\n## Why it matters\nLogs kept only on the device are lost on reboot and can be wiped by an intruder; logs sent in cleartext over UDP can be read, forged and dropped on the way.\n\n## Evidence\nThe configured destinations and their transport.\n\n## How to fix\nSupport forwarding to an administrator-configured collector over syslog-over-TLS (RFC 5425) with server certificate validation, configurable centrally.\n\n## Inconclusive when\nNo destination is configured in the image (it may be set at deployment): the management interface must be tested live or declared.\n",
        evaluate: remote,
    }
}

fn remote(check: &RemoteLogging, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "logging", "log forwarding") {
        return judge.finish(true, "");
    }
    let mut protected = 0usize;
    for l in &facts.logging {
        for dest in &l.remote {
            if dest.starts_with("tls://") {
                protected = protected.saturating_add(1);
            } else {
                judge.fail(
                    &l.location,
                    None,
                    format!("{} forwards logs in cleartext to {dest}", l.mechanism),
                    dest.clone(),
                    "cleartext syslog can be read, forged or dropped in transit",
                    "Forward logs over syslog-over-TLS with certificate validation.",
                );
            }
        }
    }
    if protected == 0 {
        judge.missing("no remote log destination is configured in the image; whether one can be configured needs the management interface (live test) or a declaration");
    }
    judge.finish(true, format!("{protected} log destinations use TLS"))
}

check! {
    /// A factory reset exists.
    FactoryReset {
        id: "recovery-factory-reset",
        title: "The firmware provides a factory reset",
        requirements: ["ECD-11.1", "ECD-11.2"],
        severity: Medium,
        doc: "## What it checks\nThat the image carries a factory-reset or recovery means: OpenWrt `firstboot`/`jffs2reset`, a reset-button handler, a factory-reset script, or A/B slots (RAUC, SWUpdate, U-Boot environment).\n\n## Why it matters\nAn owner must be able to return a compromised or misconfigured device to a known good state and to erase their data before disposal.\n\n## Evidence\nThe files that implement the reset or recovery.\n\n## How to fix\nProvide a reset (button held at boot, and an authenticated management action) that restores factory configuration and erases user data and keys; keep a recovery image or A/B slots so a failed update can be rolled back.\n\n## Inconclusive when\nNo such means is visible in the root filesystem: it may be implemented in the bootloader, which needs the manufacturer's declaration.\n",
        evaluate: factory_reset,
    }
}

fn factory_reset(check: &FactoryReset, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "logging", "recovery means") {
        return judge.finish(true, "");
    }
    if facts.recovery.is_empty() {
        judge.missing("no factory-reset or recovery means is visible in the image; it may live in the bootloader: a declaration is needed");
    }
    let names: Vec<&str> = facts
        .recovery
        .iter()
        .map(|r| r.mechanism.as_str())
        .collect();
    judge.finish(
        true,
        format!("recovery means present: {}", names.join(", ")),
    )
}
