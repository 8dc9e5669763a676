//! Logging and recovery: which log daemon the device starts and where it forwards logs; which
//! factory-reset and recovery means the image carries.
//!
//! Logging sources: start-up commands of `syslogd`/`klogd` (BusyBox `-R host[:port]` forwards),
//! `rsyslogd`, `syslog-ng`, `logd` (OpenWrt, with UCI `log_ip`), `systemd-journald`;
//! `rsyslog.conf` (`@host` UDP, `@@host` TCP, `omfwd`), `syslog-ng.conf` network destinations.
//!
//! Recovery means: OpenWrt `firstboot`/`jffs2reset`, reset-button handlers
//! (`/etc/rc.button/reset`), scripts named like `factory_reset`, RAUC/SWUpdate A/B slot
//! configuration, U-Boot environment with boot-slot variables.

use hallmark_model::facts::{Coverage, Facts, Logging, Recovery};

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`Logging`] and [`Recovery`] facts.
pub(crate) struct LoggingCollector;

const LOG_DAEMONS: &[&str] = &[
    "syslogd",
    "rsyslogd",
    "syslog-ng",
    "logd",
    "systemd-journald",
    "metalog",
];

const MAX_TEXT_BYTES: usize = 256 * 1024;

impl Collector for LoggingCollector {
    fn id(&self) -> &'static str {
        "logging"
    }

    fn description(&self) -> &'static str {
        "log daemons started and their remote destinations; factory-reset and recovery means"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        for file in image.nodes() {
            let path = image.rootfs_path(&file);
            let name = shell::basename(path);
            if let Some(mechanism) = recovery_mechanism(path, name) {
                if !facts.recovery.iter().any(|r| r.mechanism == mechanism) {
                    facts.recovery.push(Recovery {
                        mechanism: mechanism.to_owned(),
                        location: file.location(),
                    });
                }
            }
            if !file.is_file() {
                continue;
            }
            // A log daemon binary (or a link to one) shipped in a system directory.
            let Some(text) = file.text().filter(|t| t.len() <= MAX_TEXT_BYTES) else {
                continue;
            };
            examined = examined.saturating_add(1);
            if name == "rsyslog.conf" || path.starts_with("/etc/rsyslog.d/") {
                config_destinations(&file, text, "rsyslog", facts, rsyslog_remote);
            } else if name == "syslog-ng.conf" {
                config_destinations(&file, text, "syslog-ng", facts, syslog_ng_remote);
            } else if path == "/etc/config/system" {
                uci_system(&file, text, facts);
            } else if is_startup(path) {
                startup(&file, text, facts);
            }
        }
        coverage(image, examined, Vec::new())
    }
}

fn is_startup(path: &str) -> bool {
    path == "/etc/inittab"
        || path == "/init"
        || path == "/etc/rc.local"
        || path.starts_with("/etc/init.d/")
        || path.starts_with("/etc/rc.d/")
        || (path.ends_with(".service") && path.contains("/systemd/"))
}

fn recovery_mechanism(path: &str, name: &str) -> Option<&'static str> {
    Some(match (path, name) {
        (_, "firstboot" | "jffs2reset") => "factory-reset",
        ("/etc/rc.button/reset", _) => "reset-button",
        (_, n)
            if n.contains("factory_reset")
                || n.contains("factory-reset")
                || n == "factoryreset" =>
        {
            "factory-reset"
        }
        ("/etc/rauc/system.conf", _) => "ab-slots",
        ("/etc/swupdate.cfg", _) => "swupdate",
        ("/etc/fw_env.config", _) => "bootloader-environment",
        _ => return None,
    })
}

fn push(facts: &mut Facts, mechanism: &str, remote: Vec<String>, file: &File<'_>, line: usize) {
    facts.logging.push(Logging {
        mechanism: mechanism.to_owned(),
        remote,
        location: file.line(line),
    });
}

fn startup(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().strip_prefix("ExecStart=").unwrap_or(line);
        // inittab: the process is the fourth field.
        let line = if file.path().ends_with("inittab") {
            line.splitn(4, ':').nth(3).unwrap_or("")
        } else {
            line
        };
        for command in shell::commands(line) {
            let mut words = command.words.clone();
            if shell::basename(command.program()) == "busybox" && !words.is_empty() {
                words.remove(0);
            }
            let Some(program) = words.first() else {
                continue;
            };
            let name = shell::basename(program);
            if !LOG_DAEMONS.contains(&name) {
                continue;
            }
            let remote = words
                .windows(2)
                .filter(|w| w.first().is_some_and(|f| f == "-R" || f == "-r"))
                .filter_map(|w| w.get(1).cloned())
                .map(|dest| format!("udp://{dest}"))
                .collect();
            push(facts, name, remote, file, n.saturating_add(1));
        }
    }
}

fn rsyslog_remote(line: &str) -> Option<String> {
    let line = line.split('#').next()?.trim();
    let action = line.split_whitespace().last()?;
    if let Some(dest) = action.strip_prefix("@@") {
        return Some(format!("tcp://{dest}"));
    }
    if let Some(dest) = action.strip_prefix('@') {
        return Some(format!("udp://{dest}"));
    }
    if line.contains("omfwd") {
        let target = line
            .split("target=")
            .nth(1)?
            .split(['"', ' '])
            .find(|s| !s.is_empty())?;
        let tls = line.contains("StreamDriver") || line.contains("gtls") || line.contains("ossl");
        return Some(format!("{}://{target}", if tls { "tls" } else { "tcp" }));
    }
    None
}

fn syslog_ng_remote(line: &str) -> Option<String> {
    let line = line.split('#').next()?.trim();
    for (kind, scheme) in [
        ("network(", "tcp"),
        ("tcp(", "tcp"),
        ("udp(", "udp"),
        ("syslog(", "tcp"),
    ] {
        if let Some(rest) = line.split(kind).nth(1) {
            let host = rest.split(['"', '\'', ' ', ')']).find(|s| !s.is_empty())?;
            let tls = line.contains("tls(") || line.contains("transport(\"tls\")");
            return Some(format!("{}://{host}", if tls { "tls" } else { scheme }));
        }
    }
    None
}

fn config_destinations(
    file: &File<'_>,
    text: &str,
    mechanism: &str,
    facts: &mut Facts,
    remote: fn(&str) -> Option<String>,
) {
    let destinations: Vec<String> = text.lines().filter_map(remote).collect();
    push(facts, mechanism, destinations, file, 1);
}

/// OpenWrt `/etc/config/system`: `option log_ip` / `log_proto` configure logd forwarding.
fn uci_system(file: &File<'_>, text: &str, facts: &mut Facts) {
    let mut ip = None;
    let mut proto = "udp".to_owned();
    let mut line_no = 1usize;
    for (n, line) in text.lines().enumerate() {
        let words = shell::commands(line)
            .into_iter()
            .next()
            .map(|c| c.words)
            .unwrap_or_default();
        match words.as_slice() {
            [option, key, value, ..] if option == "option" && key == "log_ip" => {
                ip = Some(value.clone());
                line_no = n.saturating_add(1);
            }
            [option, key, value, ..] if option == "option" && key == "log_proto" => {
                proto = value.clone()
            }
            _ => {}
        }
    }
    if let Some(ip) = ip {
        push(
            facts,
            "logd",
            vec![format!("{proto}://{ip}")],
            file,
            line_no,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    #[test]
    fn daemons_destinations_and_recovery() {
        let mut tree = FileTree::new();
        for (path, text) in [
            (
                "/etc/init.d/S01syslogd",
                "start) /sbin/syslogd -R 192.0.2.10:514 -C64 ;;\n",
            ),
            (
                "/etc/rsyslog.conf",
                "*.* @@logs.example.invalid:6514\n# *.* @old\n",
            ),
            (
                "/etc/config/system",
                "config system\n\toption log_ip '192.0.2.20'\n\toption log_proto 'tcp'\n",
            ),
            ("/sbin/firstboot", "#!/bin/sh\n"),
            (
                "/etc/rauc/system.conf",
                "[system]\n[keyring]\npath=/etc/rauc/ca.pem\n",
            ),
        ] {
            tree.add(Entry::file(path, text.as_bytes().to_vec()));
        }
        let facts = crate::tests::collect_tree(tree, &LoggingCollector);
        let logging: Vec<String> = facts
            .logging
            .iter()
            .map(|l| format!("{} {:?}", l.mechanism, l.remote))
            .collect();
        assert_eq!(
            logging,
            vec![
                r#"logd ["tcp://192.0.2.20"]"#,
                r#"syslogd ["udp://192.0.2.10:514"]"#,
                r#"rsyslog ["tcp://logs.example.invalid:6514"]"#,
            ]
        );
        let recovery: Vec<&str> = facts
            .recovery
            .iter()
            .map(|r| r.mechanism.as_str())
            .collect();
        assert_eq!(recovery, vec!["ab-slots", "factory-reset"]);
    }
}
