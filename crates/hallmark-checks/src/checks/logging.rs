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

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        Fixture, UNPACK_LIMIT, facts_with, image_file, image_line, not_run, partial_with, path_line,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::{Logging, Recovery};

    fn log(mechanism: &str, remote: &[&str], path: &str, line: u32) -> Logging {
        Logging {
            mechanism: mechanism.into(),
            remote: remote.iter().map(|r| (*r).to_owned()).collect(),
            location: image_line(path, line),
        }
    }

    /// BusyBox syslogd forwarding over UDP (`syslogd -R 192.0.2.10:514`).
    fn busybox_forwarding() -> Logging {
        log(
            "syslogd",
            &["udp://192.0.2.10:514"],
            "/etc/init.d/S01syslogd",
            3,
        )
    }

    /// rsyslog forwarding with omfwd over its TLS stream driver.
    fn rsyslog_tls() -> Logging {
        log(
            "rsyslog",
            &["tls://logs.example.invalid:6514"],
            "/etc/rsyslog.conf",
            1,
        )
    }

    /// OpenWrt logd started by procd, nothing forwarded.
    fn logd_local() -> Logging {
        log("logd", &[], "/etc/init.d/log", 12)
    }

    fn recovery(mechanism: &str, path: &str) -> Recovery {
        Recovery {
            mechanism: mechanism.into(),
            location: image_file(path),
        }
    }

    fn with_logging(logging: Vec<Logging>) -> Facts {
        facts_with("logging", |f| f.logging = logging)
    }

    fn with_recovery() -> Facts {
        facts_with("logging", |f| {
            f.logging = vec![logd_local()];
            f.recovery = vec![
                recovery("ab-slots", "/etc/rauc/system.conf"),
                recovery("factory-reset", "/sbin/firstboot"),
            ];
        })
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        vec![
            // logging-daemon never decides from the image alone (see the registry): a
            // daemon leaves open which events it logs, no daemon leaves open a vendor one.
            (
                "logging-daemon",
                Inconclusive,
                with_logging(vec![logd_local()]),
            ),
            ("logging-daemon", Inconclusive, with_logging(Vec::new())),
            (
                "logging-daemon",
                Inconclusive,
                partial_with("logging", UNPACK_LIMIT, |f| f.logging = vec![logd_local()]),
            ),
            ("logging-daemon", Inconclusive, not_run("logging")),
            (
                "logging-remote",
                Fail,
                with_logging(vec![busybox_forwarding()]),
            ),
            (
                "logging-remote",
                Fail,
                with_logging(vec![rsyslog_tls(), busybox_forwarding()]),
            ),
            ("logging-remote", Pass, with_logging(vec![rsyslog_tls()])),
            (
                "logging-remote",
                Pass,
                with_logging(vec![logd_local(), rsyslog_tls()]),
            ),
            (
                "logging-remote",
                Inconclusive,
                with_logging(vec![logd_local()]),
            ),
            ("logging-remote", Inconclusive, with_logging(Vec::new())),
            (
                "logging-remote",
                Inconclusive,
                partial_with("logging", UNPACK_LIMIT, |f| f.logging = vec![rsyslog_tls()]),
            ),
            ("logging-remote", Inconclusive, not_run("logging")),
            // recovery-factory-reset cannot fail from the image (see the registry).
            ("recovery-factory-reset", Pass, with_recovery()),
            (
                "recovery-factory-reset",
                Inconclusive,
                with_logging(vec![logd_local()]),
            ),
            (
                "recovery-factory-reset",
                Inconclusive,
                partial_with("logging", UNPACK_LIMIT, |f| {
                    f.recovery = vec![recovery("factory-reset", "/sbin/firstboot")];
                }),
            ),
            ("recovery-factory-reset", Inconclusive, not_run("logging")),
        ]
    }

    #[test]
    fn a_log_daemon_is_necessary_but_not_enough() {
        let o = LogDaemon.evaluate(&with_logging(vec![logd_local(), rsyslog_tls()]));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert_eq!(o.summary, format!("not decided: {}", o.missing.join("; ")));
        assert!(o.missing[0].contains("actually logged"), "{:?}", o.missing);
        let o = LogDaemon.evaluate(&with_logging(Vec::new()));
        assert!(o.missing[0].starts_with("no log daemon"), "{:?}", o.missing);
    }

    #[test]
    fn cleartext_forwarding_fails_at_its_configuration() {
        let o = RemoteLogging.evaluate(&with_logging(vec![rsyslog_tls(), busybox_forwarding()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1);
        let f = &o.findings[0];
        assert_eq!(
            f.title,
            "syslogd forwards logs in cleartext to udp://192.0.2.10:514"
        );
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/etc/init.d/S01syslogd"), Some(3))
        );
        // A TCP destination without TLS is cleartext too.
        let o = RemoteLogging.evaluate(&with_logging(vec![log(
            "logd",
            &["tcp://192.0.2.20"],
            "/etc/config/system",
            4,
        )]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            o.findings[0].title,
            "logd forwards logs in cleartext to tcp://192.0.2.20"
        );
        let o = RemoteLogging.evaluate(&with_logging(vec![rsyslog_tls()]));
        assert_eq!(o.verdict, Verdict::Pass);
        assert_eq!(o.summary, "1 log destinations use TLS");
        let o = RemoteLogging.evaluate(&with_logging(vec![logd_local()]));
        assert!(o.missing[0].starts_with("no remote log destination"));
    }

    #[test]
    fn recovery_means_are_named() {
        let o = FactoryReset.evaluate(&with_recovery());
        assert_eq!(o.verdict, Verdict::Pass);
        assert_eq!(o.summary, "recovery means present: ab-slots, factory-reset");
        let o = FactoryReset.evaluate(&with_logging(Vec::new()));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing[0].contains("bootloader"));
    }
}
