//! Services: what the device starts at boot and how, and the settings of the common daemons.
//!
//! Start-up sources read: `/etc/inittab` (BusyBox and SysV forms), init scripts
//! (`/etc/init.d/*`, `/etc/rc.d/*`, `/etc/rc.local`, `/etc/rcS`), an initramfs `/init` or
//! `/linuxrc`, OpenWrt procd scripts (`procd_set_param command`), `inetd.conf`, and systemd
//! units (`ExecStart=`). Each command that starts a known daemon becomes a [`Service`] with its
//! arguments and the settings those arguments mean (`login_program` of telnetd, `-B` of
//! dropbear, ...). An interactive shell started on a console without a login program is a
//! `console` service with `login=none`.
//!
//! Configuration files read for settings: `vsftpd.conf`, `lighttpd.conf`, `snmpd.conf`,
//! OpenWrt UCI `dropbear`, `uhttpd`, `wireless`, `snmpd`, `mini_snmpd`, `cwmp` and
//! `easycwmp`, and vendor configuration under `/etc` naming a TR-069 ACS URL (`acs_url`,
//! `ACSURL`, `acsURL`, `cwmp_acs_url`, ... as `key=value`, `key value`, an XML attribute or
//! element). These become services with `started_by = "config"`: they say how the daemon is
//! configured, not that it runs.
//!
//! SNMP settings: `communities` (v1/v2c, `name:ro|rw`), `v3_users` (`createUser`, or UCI
//! users, `name:priv` when a privacy protocol is set, else `name:auth`), `v3_access`
//! (`rouser`/`rwuser`, VACM `access` lines for `usm`, UCI `access` sections: `name:level`
//! with level `noauth`, `auth` or `priv`; `rouser` without a level means `auth`),
//! `enabled=no` when a UCI section switches the agent off. TR-069 settings: `acs_url`
//! (credentials masked), `enabled=no` when switched off.

use std::collections::BTreeMap;

use hallmark_model::facts::{Coverage, Facts, Service};

use crate::shell::{self, Command};
use crate::{Collector, File, Image, Options, coverage};

/// Records [`Service`] facts.
pub(crate) struct ServicesCollector;

/// Daemon program names and the service they provide.
const DAEMONS: &[(&str, &str)] = &[
    ("atftpd", "tftp"),
    ("avahi-daemon", "mdns"),
    ("bftpd", "ftp"),
    ("boa", "http"),
    ("chronyd", "ntp"),
    ("cwmpd", "tr069"),
    ("dnsmasq", "dns"),
    ("dropbear", "ssh"),
    ("easycwmpd", "tr069"),
    ("ftpd", "ftp"),
    ("goahead", "http"),
    ("httpd", "http"),
    ("icwmpd", "tr069"),
    ("in.telnetd", "telnet"),
    ("in.tftpd", "tftp"),
    ("lighttpd", "http"),
    ("mini_httpd", "http"),
    ("mini_snmpd", "snmp"),
    ("miniupnpd", "upnp"),
    ("mosquitto", "mqtt"),
    ("nginx", "http"),
    ("ntpclient", "ntp"),
    ("ntpd", "ntp"),
    ("proftpd", "ftp"),
    ("pure-ftpd", "ftp"),
    ("smbd", "smb"),
    ("snmpd", "snmp"),
    ("sntp", "ntp"),
    ("sshd", "ssh"),
    ("systemd-timesyncd", "ntp"),
    ("tddp", "tddp"),
    ("telnetd", "telnet"),
    ("tftpd", "tftp"),
    ("thttpd", "http"),
    ("tr069", "tr069"),
    ("tr69c", "tr069"),
    ("uhttpd", "http"),
    ("upnpd", "upnp"),
    ("utelnetd", "telnet"),
    ("vsftpd", "ftp"),
    ("webs", "http"),
];

const SHELLS: &[&str] = &[
    "sh", "ash", "bash", "hush", "msh", "-sh", "-ash", "-bash", "zsh",
];

/// Init scripts larger than this are not read (they are not scripts).
const MAX_SCRIPT_BYTES: usize = 1 << 20;

impl Collector for ServicesCollector {
    fn id(&self) -> &'static str {
        "services"
    }

    fn description(&self) -> &'static str {
        "daemons started by inittab, init scripts, procd, inetd and systemd, with their options, and the settings of common daemons' configuration files"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut found_startup = false;
        for file in image.files() {
            let path = image.rootfs_path(&file);
            let Some(kind) = classify(path) else { continue };
            let Some(text) = file.text().filter(|t| t.len() <= MAX_SCRIPT_BYTES) else {
                continue;
            };
            examined = examined.saturating_add(1);
            match kind {
                Source::Inittab => {
                    found_startup = true;
                    inittab(&file, text, facts);
                }
                Source::Script(started_by) => {
                    found_startup = true;
                    script(&file, text, started_by, facts);
                }
                Source::Inetd => inetd(&file, text, facts),
                Source::Systemd => systemd(&file, text, facts),
                Source::Config(which) => config(&file, text, which, facts),
            }
        }
        let notes = if found_startup {
            Vec::new()
        } else {
            vec!["no inittab, init script or initramfs /init was found".into()]
        };
        coverage(image, examined, notes)
    }
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Inittab,
    Script(&'static str),
    Inetd,
    Systemd,
    Config(&'static str),
}

fn classify(path: &str) -> Option<Source> {
    let name = shell::basename(path);
    Some(match path {
        "/etc/inittab" => Source::Inittab,
        "/init" | "/linuxrc" => Source::Script("init"),
        "/etc/rc.local" | "/etc/rcS" | "/etc/rc" => Source::Script("init-script"),
        "/etc/inetd.conf" | "/etc/xinetd.conf" => Source::Inetd,
        _ if path.starts_with("/etc/init.d/")
            || path.starts_with("/etc/rc.d/")
            || path.starts_with("/etc/rcS.d/") =>
        {
            Source::Script("init-script")
        }
        _ if name.ends_with(".service")
            && (path.starts_with("/lib/systemd/")
                || path.starts_with("/etc/systemd/")
                || path.starts_with("/usr/lib/systemd/")) =>
        {
            Source::Systemd
        }
        _ if name == "vsftpd.conf" => Source::Config("vsftpd"),
        _ if name == "lighttpd.conf" => Source::Config("lighttpd"),
        _ if name == "snmpd.conf" => Source::Config("snmpd"),
        "/etc/config/dropbear" => Source::Config("uci-dropbear"),
        "/etc/config/uhttpd" => Source::Config("uci-uhttpd"),
        "/etc/config/wireless" => Source::Config("uci-wireless"),
        "/etc/config/snmpd" => Source::Config("uci-snmpd"),
        "/etc/config/mini_snmpd" => Source::Config("uci-mini_snmpd"),
        "/etc/config/cwmp" | "/etc/config/easycwmp" | "/etc/config/icwmp" => {
            Source::Config("uci-cwmp")
        }
        _ if is_vendor_config(path) => Source::Config("vendor"),
        _ => return None,
    })
}

fn is_shell(program: &str) -> bool {
    SHELLS.contains(&shell::basename(program))
}

fn service_of(command: &Command) -> Option<(&'static str, String, Vec<String>)> {
    let program = command.program();
    let mut name = shell::basename(program);
    let mut args = command.args().to_vec();
    let mut shown = program.to_owned();
    // `busybox telnetd -l /bin/sh`, or `tcpsvd ... ftpd`.
    if name == "busybox" {
        let applet = args.first()?.clone();
        args.remove(0);
        shown = format!("{program} {applet}");
        return DAEMONS
            .iter()
            .find(|(d, _)| *d == applet)
            .map(|(_, service)| (*service, shown, args));
    }
    if name == "tcpsvd" || name == "udpsvd" {
        let at = args
            .iter()
            .position(|a| DAEMONS.iter().any(|(d, _)| *d == shell::basename(a)))?;
        let inner = args.get(at)?.clone();
        args = args.get(at.saturating_add(1)..).unwrap_or(&[]).to_vec();
        name = DAEMONS
            .iter()
            .find(|(d, _)| *d == shell::basename(&inner))
            .map(|(d, _)| *d)?;
        shown = inner;
    }
    DAEMONS
        .iter()
        .find(|(d, _)| *d == name)
        .map(|(_, service)| (*service, shown, args))
}

/// Settings the arguments of a daemon mean.
fn arg_settings(service: &str, program: &str, args: &[String]) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    let value_after = |flags: &[&str]| -> Option<String> {
        let at = args.iter().position(|a| flags.contains(&a.as_str()))?;
        args.get(at.saturating_add(1)).cloned()
    };
    let has = |flag: &str| args.iter().any(|a| a == flag);
    match service {
        "telnet" => {
            settings.insert("tls".into(), "no".into());
            if let Some(login) = value_after(&["-l", "-L"]) {
                let shell = is_shell(&login);
                settings.insert("login_program".into(), login);
                settings.insert(
                    "login".into(),
                    if shell { "none" } else { "program" }.into(),
                );
            }
        }
        "ssh" if shell::basename(program) == "dropbear" => {
            if has("-B") {
                settings.insert("blank_passwords".into(), "yes".into());
            }
            if has("-s") {
                settings.insert("password_logins".into(), "no".into());
            }
            if has("-g") {
                settings.insert("root_password_logins".into(), "no".into());
            }
            if has("-w") {
                settings.insert("root_logins".into(), "no".into());
            }
            if has("-R") {
                settings.insert("generate_host_keys".into(), "yes".into());
            }
        }
        _ => {}
    }
    if let Some(port) = value_after(&["-p"]) {
        settings.entry("port".into()).or_insert(port);
    }
    settings
}

fn push(
    facts: &mut Facts,
    (service, program, args): (&str, String, Vec<String>),
    started_by: &str,
    settings: BTreeMap<String, String>,
    file: &File<'_>,
    line: usize,
) {
    facts.services.push(Service {
        service: service.to_owned(),
        program,
        args,
        started_by: started_by.to_owned(),
        settings,
        location: file.line(line),
    });
}

fn console_shell(
    facts: &mut Facts,
    program: &str,
    args: &[String],
    started_by: &str,
    tty: &str,
    file: &File<'_>,
    line: usize,
) {
    let mut settings = BTreeMap::new();
    settings.insert("login".into(), "none".into());
    if !tty.is_empty() {
        settings.insert("tty".into(), tty.to_owned());
    }
    push(
        facts,
        ("console", program.to_owned(), args.to_vec()),
        started_by,
        settings,
        file,
        line,
    );
}

fn inittab(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut fields = line.splitn(4, ':');
        let (Some(id), Some(_runlevels), Some(action), Some(process)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if matches!(action, "shutdown" | "ctrlaltdel" | "restart") {
            continue;
        }
        for command in shell::commands(process) {
            let program = command.program().trim_start_matches('-');
            let interactive = command
                .args()
                .iter()
                .all(|a| a == "-l" || a == "-i" || a == "--login");
            if is_shell(program) && interactive {
                console_shell(
                    facts,
                    command.program(),
                    command.args(),
                    "inittab",
                    id,
                    file,
                    n.saturating_add(1),
                );
            } else if let Some((service, program, args)) = service_of(&command) {
                let settings = arg_settings(service, &program, &args);
                push(
                    facts,
                    (service, program, args),
                    "inittab",
                    settings,
                    file,
                    n.saturating_add(1),
                );
            }
        }
    }
}

fn script(file: &File<'_>, text: &str, started_by: &str, facts: &mut Facts) {
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        for command in shell::commands(line) {
            if let Some((service, program, args)) = service_of(&command) {
                let settings = arg_settings(service, &program, &args);
                push(
                    facts,
                    (service, program, args),
                    started_by,
                    settings,
                    file,
                    n.saturating_add(1),
                );
            } else if started_by == "init"
                && is_shell(command.program())
                && command.args().is_empty()
            {
                // An initramfs /init that ends in a shell leaves a root shell on the console.
                console_shell(
                    facts,
                    command.program(),
                    &[],
                    started_by,
                    "",
                    file,
                    n.saturating_add(1),
                );
            }
        }
    }
}

fn inetd(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first().is_none_or(|f| f.starts_with('#')) || fields.len() < 6 {
            continue;
        }
        let name = fields.first().copied().unwrap_or("");
        let server = fields.get(5).copied().unwrap_or("");
        let args: Vec<String> = fields.iter().skip(7).map(|s| (*s).to_owned()).collect();
        let service = DAEMONS
            .iter()
            .find(|(d, _)| *d == shell::basename(server) || *d == name)
            .map(|(_, s)| *s)
            .unwrap_or(name);
        let mut settings = arg_settings(service, server, &args);
        settings.insert("inetd_service".into(), name.to_owned());
        push(
            facts,
            (service, server.to_owned(), args),
            "inetd",
            settings,
            file,
            n.saturating_add(1),
        );
    }
}

fn systemd(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let Some(exec) = line.trim().strip_prefix("ExecStart=") else {
            continue;
        };
        let exec = exec.trim_start_matches(['-', '@', '+', '!', ':']);
        for command in shell::commands(exec) {
            if let Some((service, program, args)) = service_of(&command) {
                let settings = arg_settings(service, &program, &args);
                push(
                    facts,
                    (service, program, args),
                    "systemd",
                    settings,
                    file,
                    n.saturating_add(1),
                );
            }
        }
    }
}

fn yes(value: &str) -> &'static str {
    match value
        .trim()
        .trim_matches(['"', '\''])
        .to_ascii_lowercase()
        .as_str()
    {
        "yes" | "true" | "1" | "on" | "enable" | "enabled" => "yes",
        _ => "no",
    }
}

/// `key = value` or `key value`, unquoted, comments removed.
fn key_value(line: &str) -> Option<(String, String)> {
    let line = line.split('#').next()?.trim();
    if line.is_empty() {
        return None;
    }
    let (key, value) = match line.split_once('=') {
        Some((k, v)) if !k.trim().contains(' ') => (k.trim(), v.trim()),
        _ => line
            .split_once(char::is_whitespace)
            .map(|(k, v)| (k.trim(), v.trim()))?,
    };
    Some((key.to_owned(), value.trim_matches(['"', '\'']).to_owned()))
}

/// UCI `option name 'value'` lines with their `config` section type.
fn uci(text: &str) -> Vec<(usize, String, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (n, line) in text.lines().enumerate() {
        let words = shell::commands(line)
            .into_iter()
            .next()
            .map(|c| c.words)
            .unwrap_or_default();
        match words.first().map(String::as_str) {
            Some("config") => section = words.get(1).cloned().unwrap_or_default(),
            Some("option") | Some("list") => {
                if let (Some(k), Some(v)) = (words.get(1), words.get(2)) {
                    out.push((n.saturating_add(1), section.clone(), k.clone(), v.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

fn config(file: &File<'_>, text: &str, which: &str, facts: &mut Facts) {
    let mut settings = BTreeMap::new();
    let mut first_line = 1usize;
    let (service, program) = match which {
        "vsftpd" => ("ftp", "vsftpd"),
        "lighttpd" => ("http", "lighttpd"),
        "snmpd" => ("snmp", "snmpd"),
        "uci-dropbear" => ("ssh", "dropbear"),
        "uci-uhttpd" => ("http", "uhttpd"),
        "uci-snmpd" => ("snmp", "snmpd"),
        "uci-mini_snmpd" => ("snmp", "mini_snmpd"),
        "uci-cwmp" => {
            uci_cwmp(file, text, facts);
            return;
        }
        "vendor" => {
            vendor_acs(file, text, facts);
            return;
        }
        _ => ("wifi", "hostapd"),
    };
    match which {
        "vsftpd" => {
            settings.insert("anonymous".into(), "no".into());
            settings.insert("tls".into(), "no".into());
            for line in text.lines() {
                let Some((k, v)) = key_value(line) else {
                    continue;
                };
                let v = yes(&v);
                match k.as_str() {
                    "anonymous_enable" => settings.insert("anonymous".into(), v.into()),
                    "anon_upload_enable" => settings.insert("anonymous_upload".into(), v.into()),
                    "anon_mkdir_write_enable" => {
                        settings.insert("anonymous_mkdir".into(), v.into())
                    }
                    "ssl_enable" => settings.insert("tls".into(), v.into()),
                    "local_enable" => settings.insert("local_logins".into(), v.into()),
                    _ => None,
                };
            }
        }
        "lighttpd" => {
            settings.insert("tls".into(), "no".into());
            // Without server.username lighttpd keeps the user that started it: root at boot.
            settings.insert("run_as".into(), "root".into());
            for (n, line) in text.lines().enumerate() {
                let Some((k, v)) = key_value(line) else {
                    continue;
                };
                match k.as_str() {
                    "server.username" => {
                        first_line = n.saturating_add(1);
                        settings.insert("run_as".into(), v);
                    }
                    "server.port" => {
                        settings.insert("port".into(), v);
                    }
                    "dir-listing.activate" | "server.dir-listing" => {
                        settings.insert("directory_listing".into(), yes(&v).into());
                    }
                    "ssl.engine" => {
                        settings.insert("tls".into(), yes(&v).into());
                    }
                    "cgi.assign" => {
                        let shell_cgi = SHELLS.iter().any(|s| v.contains(&format!("/bin/{s}\"")));
                        settings.insert(
                            "cgi_interpreter_shell".into(),
                            if shell_cgi { "yes" } else { "no" }.into(),
                        );
                    }
                    _ => {}
                }
            }
        }
        "snmpd" => {
            let mut communities = Vec::new();
            let mut v3_users = Vec::new();
            let mut v3_access = Vec::new();
            for (n, line) in text.lines().enumerate() {
                let words: Vec<&str> = line
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                let community = match words.as_slice() {
                    [
                        "rocommunity" | "rwcommunity" | "rocommunity6" | "rwcommunity6",
                        c,
                        ..,
                    ] => Some(*c),
                    ["com2sec", _, _, c, ..] => Some(*c),
                    _ => None,
                };
                if let Some(entry) = snmp_v3(&words) {
                    if communities.is_empty() && v3_users.is_empty() && v3_access.is_empty() {
                        first_line = n.saturating_add(1);
                    }
                    if words.first() == Some(&"createUser") {
                        v3_users.push(entry);
                    } else {
                        v3_access.push(entry);
                    }
                }
                if let Some(c) = community {
                    if communities.is_empty() && v3_users.is_empty() && v3_access.is_empty() {
                        first_line = n.saturating_add(1);
                    }
                    let access = if words.first().is_some_and(|w| w.starts_with("rw")) {
                        "rw"
                    } else {
                        "ro"
                    };
                    communities.push(format!("{c}:{access}"));
                }
            }
            snmp_settings(&mut settings, &communities, &v3_users, &v3_access);
        }
        "uci-snmpd" | "uci-mini_snmpd" => {
            let mut communities = Vec::new();
            let mut v3_users = Vec::new();
            let mut v3_access = Vec::new();
            let mut sections: BTreeMap<(usize, String), BTreeMap<String, (usize, String)>> =
                BTreeMap::new();
            let mut current = (0usize, String::new());
            for (n, line) in text.lines().enumerate() {
                let words = shell::commands(line)
                    .into_iter()
                    .next()
                    .map(|c| c.words)
                    .unwrap_or_default();
                match words.first().map(String::as_str) {
                    Some("config") => {
                        current = (n, words.get(1).cloned().unwrap_or_default());
                        sections.entry(current.clone()).or_default();
                    }
                    Some("option") => {
                        if let (Some(k), Some(v)) = (words.get(1), words.get(2)) {
                            sections
                                .entry(current.clone())
                                .or_default()
                                .insert(k.clone(), (n.saturating_add(1), v.clone()));
                        }
                    }
                    _ => {}
                }
            }
            for ((_, kind), options) in &sections {
                let get = |k: &str| options.get(k).map(|(_, v)| v.as_str());
                if let Some((line, community)) = options.get("community") {
                    if communities.is_empty() {
                        first_line = *line;
                    }
                    let access = if get("secname") == Some("rw") || get("write").is_some() {
                        "rw"
                    } else {
                        "ro"
                    };
                    communities.push(format!("{community}:{access}"));
                }
                if kind == "access" && matches!(get("version"), Some("usm" | "any")) {
                    let level = get("level").unwrap_or("noauth");
                    let group = get("group").unwrap_or("?");
                    v3_access.push(format!("{group}:{}", normal_level(level)));
                }
                if let Some(user) = get("username").filter(|u| !u.is_empty()) {
                    let privacy = [
                        "privacy_type",
                        "priv_type",
                        "privacy_protocol",
                        "priv_proto",
                    ]
                    .iter()
                    .any(|k| get(k).is_some_and(|v| !v.is_empty() && v != "none"));
                    v3_users.push(format!("{user}:{}", if privacy { "priv" } else { "auth" }));
                    if privacy {
                        v3_access.push(format!("{user}:priv"));
                    }
                }
                if matches!(kind.as_str(), "snmpd" | "mini_snmpd" | "general" | "agent")
                    && get("enabled").is_some_and(|v| yes(v) == "no")
                {
                    settings.insert("enabled".into(), "no".into());
                }
            }
            snmp_settings(&mut settings, &communities, &v3_users, &v3_access);
        }
        "uci-dropbear" => {
            for (n, _, k, v) in uci(text) {
                match k.as_str() {
                    "PasswordAuth" => settings.insert("password_logins".into(), yes(&v).into()),
                    "RootPasswordAuth" => {
                        settings.insert("root_password_logins".into(), yes(&v).into())
                    }
                    "Port" => settings.insert("port".into(), v),
                    _ => {
                        let _ = n;
                        None
                    }
                };
            }
        }
        "uci-uhttpd" => {
            for (_, _, k, v) in uci(text) {
                match k.as_str() {
                    "listen_http" => {
                        settings.insert("plain_http".into(), "yes".into());
                        settings.insert("listen_http".into(), v);
                    }
                    "listen_https" => {
                        settings.insert("tls".into(), "yes".into());
                    }
                    _ => {}
                }
            }
        }
        _ => {
            // UCI wireless: one service per wifi-iface.
            let mut iface: BTreeMap<String, String> = BTreeMap::new();
            let mut line_of_iface = 1usize;
            let flush = |iface: &mut BTreeMap<String, String>, line: usize, facts: &mut Facts| {
                if !iface.is_empty() {
                    // An interface without `option encryption` is an open network in OpenWrt.
                    iface
                        .entry("encryption".into())
                        .or_insert_with(|| "none".into());
                    push(
                        facts,
                        ("wifi", "hostapd".into(), Vec::new()),
                        "config",
                        std::mem::take(iface),
                        file,
                        line,
                    );
                }
            };
            let mut last_section = String::new();
            for (n, section, k, v) in uci(text) {
                if section != "wifi-iface" {
                    continue;
                }
                if k == "device" || last_section.is_empty() {
                    flush(&mut iface, line_of_iface, facts);
                    line_of_iface = n;
                }
                last_section = section;
                match k.as_str() {
                    "encryption" => {
                        iface.insert("encryption".into(), v);
                    }
                    "ssid" => {
                        iface.insert("ssid".into(), v);
                    }
                    "wps_pin" => {
                        iface.insert("wps_pin".into(), v);
                    }
                    "wps_pushbutton" | "wps_label" => {
                        iface.insert("wps".into(), yes(&v).into());
                    }
                    _ => {}
                }
            }
            flush(&mut iface, line_of_iface, facts);
            return;
        }
    }
    push(
        facts,
        (service, program.to_owned(), Vec::new()),
        "config",
        settings,
        file,
        first_line,
    );
}

/// net-snmp security levels as one word: `noauth`, `auth`, `priv`.
fn normal_level(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "priv" | "authpriv" => "priv",
        "auth" | "authnopriv" => "auth",
        _ => "noauth",
    }
}

/// An SNMPv3 user (`createUser`) or access line (`rouser`, `rwuser`, VACM `access` for `usm`),
/// as `name:level`.
fn snmp_v3(words: &[&str]) -> Option<String> {
    match words {
        ["createUser", rest @ ..] => {
            // createUser [-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]
            let rest = match rest {
                ["-e", _, tail @ ..] => tail,
                tail => tail,
            };
            let name = rest.first()?;
            let privacy = rest
                .get(3)
                .is_some_and(|p| p.starts_with("AES") || p.starts_with("DES"));
            Some(format!("{name}:{}", if privacy { "priv" } else { "auth" }))
        }
        ["rouser" | "rwuser", rest @ ..] => {
            let rest = match rest {
                ["-s", _, tail @ ..] => tail,
                tail => tail,
            };
            let name = rest.first()?;
            Some(format!(
                "{name}:{}",
                normal_level(rest.get(1).unwrap_or(&"auth"))
            ))
        }
        ["access", group, _context, model, level, ..] if matches!(*model, "usm" | "any") => {
            Some(format!("{group}:{}", normal_level(level)))
        }
        _ => None,
    }
}

fn snmp_settings(
    settings: &mut BTreeMap<String, String>,
    communities: &[String],
    v3_users: &[String],
    v3_access: &[String],
) {
    for (key, list) in [
        ("communities", communities),
        ("v3_users", v3_users),
        ("v3_access", v3_access),
    ] {
        if !list.is_empty() {
            settings.insert(key.into(), list.join(","));
        }
    }
}

/// Keys that name a TR-069 ACS URL in vendor configuration (compared lowercase, without `_`
/// and `-`).
const ACS_KEYS: &[&str] = &[
    "acsurl",
    "cwmpacsurl",
    "tr069acsurl",
    "tr069url",
    "cwmpurl",
    "managementserverurl",
];

/// Vendor configuration that may hold an ACS URL: text under `/etc` and similar, not web pages.
fn is_vendor_config(path: &str) -> bool {
    let under = ["/etc/", "/usr/etc/", "/config/", "/usr/share/defaults/"]
        .iter()
        .any(|d| path.starts_with(d));
    let web = [
        ".js", ".htm", ".html", ".css", ".asp", ".lua", ".php", ".gif", ".png",
    ]
    .iter()
    .any(|e| path.ends_with(e));
    under && !web && !path.starts_with("/etc/init.d/") && !path.starts_with("/etc/config/")
}

/// The URL after a key: skips `=`, `:`, quotes, `>` and blanks.
fn url_after(rest: &str) -> Option<String> {
    let value = rest.trim_start_matches(|c: char| {
        c == '=' || c == ':' || c == '"' || c == '\'' || c == '>' || c.is_whitespace()
    });
    let end = value
        .find(|c: char| c == '"' || c == '\'' || c == '<' || c.is_whitespace())
        .unwrap_or(value.len());
    let url = value.get(..end)?;
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| mask_url(url))
}

/// The URL with a password in its user part masked.
fn mask_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) if !userinfo.contains('/') && userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn push_acs(facts: &mut Facts, file: &File<'_>, line: usize, url: String, enabled: bool) {
    let mut settings = BTreeMap::new();
    settings.insert("acs_url".into(), url);
    if !enabled {
        settings.insert("enabled".into(), "no".into());
    }
    push(
        facts,
        ("tr069", "cwmp".into(), Vec::new()),
        "config",
        settings,
        file,
        line,
    );
}

/// Vendor files: each line naming an ACS URL.
fn vendor_acs(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let squashed: String = line
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        // Positions in `squashed` do not map back to `line`: find the key there, then the URL
        // after the same key in `squashed` (URLs keep their case only for display).
        let Some(key) = ACS_KEYS.iter().find(|k| squashed.contains(**k)) else {
            continue;
        };
        let after = squashed.split(key).nth(1).unwrap_or("");
        if url_after(after).is_none() {
            continue;
        }
        // The URL as written: the first http(s) URL on the line.
        let lower = line.to_ascii_lowercase();
        let Some(at) = lower.find("http://").or_else(|| lower.find("https://")) else {
            continue;
        };
        if let Some(url) = url_after(line.get(at..).unwrap_or("")) {
            push_acs(facts, file, n.saturating_add(1), url, true);
        }
    }
}

/// UCI `cwmp`/`easycwmp`: `option url`, or `scheme`/`hostname`/`port`/`path`, in `acs`
/// sections; `option enable`/`enabled` `0` switches the client off.
fn uci_cwmp(file: &File<'_>, text: &str, facts: &mut Facts) {
    let mut url = None;
    let mut line_no = 1usize;
    let mut parts: BTreeMap<String, String> = BTreeMap::new();
    let mut enabled = true;
    for (n, section, k, v) in uci(text) {
        match (section.as_str(), k.as_str()) {
            ("acs", "url") => {
                url = Some(v);
                line_no = n;
            }
            ("acs", "scheme" | "hostname" | "port" | "path") => {
                if parts.is_empty() {
                    line_no = n;
                }
                parts.insert(k, v);
            }
            (_, "enable" | "enabled") if yes(&v) == "no" => enabled = false,
            _ => {}
        }
    }
    let url = url.or_else(|| {
        let scheme = parts.get("scheme")?;
        let host = parts.get("hostname")?;
        let port = parts
            .get("port")
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let path = parts.get("path").cloned().unwrap_or_default();
        Some(format!("{scheme}://{host}{port}{path}"))
    });
    if let Some(url) = url.filter(|u| u.contains("://")) {
        push_acs(facts, file, line_no, mask_url(&url), enabled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    fn services(files: &[(&str, &str)]) -> Vec<Service> {
        let mut tree = FileTree::new();
        for (path, text) in files {
            tree.add(Entry::file(*path, text.as_bytes().to_vec()));
        }
        crate::tests::collect_tree(tree, &ServicesCollector).services
    }

    #[test]
    fn init_scripts_inittab_and_initramfs_init() {
        let got = services(&[
            (
                "/etc/inittab",
                "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\ntty1::respawn:/sbin/getty 38400 tty1\n",
            ),
            (
                "/etc/init.d/S40telnetd",
                "#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/in.telnetd -debug 23 -L /bin/sh & ;;\n  stop)  killall in.telnetd ;;\nesac\n",
            ),
            (
                "/etc/init.d/S50dropbear",
                "start) /usr/sbin/dropbear -B -p 22 -r /etc/dropbear/dropbear_rsa_host_key ;;\n",
            ),
            (
                "/init",
                "#!/bin/sh\n/usr/sbin/dropbear -R -p 22\n/usr/sbin/httpd -p 8080 -h /www\nexec /bin/sh\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} {:?}",
                    s.service, s.program, s.started_by, s.settings
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"telnet /usr/sbin/in.telnetd init-script {"login": "none", "login_program": "/bin/sh", "tls": "no"}"#,
                r#"ssh /usr/sbin/dropbear init-script {"blank_passwords": "yes", "port": "22"}"#,
                r#"console /bin/sh inittab {"login": "none", "tty": "ttyS0"}"#,
                r#"ssh /usr/sbin/dropbear init {"generate_host_keys": "yes", "port": "22"}"#,
                r#"http /usr/sbin/httpd init {"port": "8080"}"#,
                r#"console /bin/sh init {"login": "none"}"#,
            ]
        );
    }

    #[test]
    fn daemon_configuration_files() {
        let got = services(&[
            (
                "/etc/vsftpd.conf",
                "anonymous_enable=YES\nanon_upload_enable=YES\nanon_mkdir_write_enable=YES\n",
            ),
            (
                "/etc/snmp/snmpd.conf",
                "rocommunity public\nrwcommunity private\n",
            ),
            (
                "/etc/lighttpd/lighttpd.conf",
                "server.username = \"root\"\ndir-listing.activate = \"enable\"\ncgi.assign = ( \".cgi\" => \"/bin/sh\" )\n",
            ),
            (
                "/etc/config/wireless",
                "config wifi-iface 'guest'\n\toption device 'radio0'\n\toption encryption 'wep'\n\toption wps_pin '12345670'\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|s| format!("{} {:?}", s.service, s.settings))
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"wifi {"encryption": "wep", "wps_pin": "12345670"}"#,
                r#"http {"cgi_interpreter_shell": "yes", "directory_listing": "yes", "run_as": "root", "tls": "no"}"#,
                r#"snmp {"communities": "public:ro,private:rw"}"#,
                r#"ftp {"anonymous": "yes", "anonymous_mkdir": "yes", "anonymous_upload": "yes", "tls": "no"}"#,
            ]
        );
    }

    #[test]
    fn configuration_defaults_that_matter() {
        // lighttpd without server.username runs as root; a wifi-iface without encryption is open.
        let got = services(&[
            ("/etc/lighttpd/lighttpd.conf", "server.port = 80\n"),
            (
                "/etc/config/wireless",
                "config wifi-iface 'lan'\n\toption device 'radio0'\n\toption ssid 'Open'\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|s| format!("{} {:?}", s.service, s.settings))
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"wifi {"encryption": "none", "ssid": "Open"}"#,
                r#"http {"port": "80", "run_as": "root", "tls": "no"}"#,
            ]
        );
    }

    #[test]
    fn busybox_applets_inetd_and_systemd() {
        let got = services(&[
            (
                "/etc/init.d/telnet",
                "start() {\n\tservice_start /usr/sbin/telnetd -l /bin/login.sh\n}\n",
            ),
            ("/etc/init.d/rcS", "busybox telnetd -l /bin/sh\n"),
            (
                "/etc/inetd.conf",
                "telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n# ftp stream tcp nowait root /usr/sbin/ftpd ftpd\n",
            ),
            (
                "/lib/systemd/system/ssh.service",
                "[Service]\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|s| format!("{} {} {}", s.service, s.program, s.started_by))
            .collect();
        assert_eq!(
            summary,
            vec![
                "telnet /usr/sbin/telnetd inetd",
                "telnet busybox telnetd init-script",
                "telnet /usr/sbin/telnetd init-script",
                "ssh /usr/sbin/sshd systemd",
            ]
        );
        assert_eq!(
            got[2].settings.get("login").map(String::as_str),
            Some("program")
        );
    }

    fn line_of(location: &hallmark_model::Location) -> u32 {
        match location {
            hallmark_model::Location::Image { line, .. } => line.unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn snmp_versions_and_tr069_acs_urls() {
        let got = services(&[
            (
                "/etc/snmp/snmpd.conf",
                "# v3 only\ncreateUser admin SHA \"authpass1\" AES \"privpass1\"\ncreateUser mon MD5 monpass1\nrouser admin priv\nrouser mon\naccess grp \"\" usm noauth exact all none none\n",
            ),
            (
                "/etc/config/mini_snmpd",
                "config mini_snmpd\n\toption enabled '0'\n\toption community 'public'\n",
            ),
            (
                "/etc/config/snmpd",
                "config com2sec public\n\toption secname ro\n\toption community public\nconfig access public_access\n\toption group public\n\toption version any\n\toption level auth\n",
            ),
            (
                "/etc/config/easycwmp",
                "config local\n\toption enable '1'\nconfig acs\n\toption scheme 'http'\n\toption hostname 'acs.example.invalid'\n\toption port '7547'\n\toption path '/cwmp'\n",
            ),
            (
                "/etc/config/cwmp",
                "config acs 'acs'\n\toption url 'https://user:secret@acs.example.invalid/'\n",
            ),
            (
                "/etc/default.cfg",
                "<tr69c acsURL=\"http://acs.isp.invalid:7547/\" connReqUser=\"x\"/>\n<snmp state=\"disable\"/>\n",
            ),
            (
                "/etc/cwmp.conf",
                "acs_url=\nACS_URL = https://tr069.example.invalid/acs\n",
            ),
            (
                "/www/js/str.js",
                "var s = {acs_url: \"http://acs.example.invalid\"};\n",
            ),
        ]);
        let summary: Vec<String> = got
            .iter()
            .map(|s| {
                format!(
                    "{} {} {:?} {}",
                    s.service,
                    s.program,
                    s.settings,
                    line_of(&s.location)
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"tr069 cwmp {"acs_url": "https://user:***@acs.example.invalid/"} 2"#,
                r#"tr069 cwmp {"acs_url": "http://acs.example.invalid:7547/cwmp"} 4"#,
                r#"snmp mini_snmpd {"communities": "public:ro", "enabled": "no"} 3"#,
                r#"snmp snmpd {"communities": "public:ro", "v3_access": "public:auth"} 3"#,
                r#"tr069 cwmp {"acs_url": "https://tr069.example.invalid/acs"} 2"#,
                r#"tr069 cwmp {"acs_url": "http://acs.isp.invalid:7547/"} 1"#,
                r#"snmp snmpd {"v3_access": "admin:priv,mon:auth,grp:noauth", "v3_users": "admin:priv,mon:auth"} 2"#,
            ]
        );
    }
}
