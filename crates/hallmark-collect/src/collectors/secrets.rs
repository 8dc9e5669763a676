//! Hard-coded credentials and secrets in configuration files and scripts, and the remote
//! endpoints configuration names.
//!
//! A bounded rule set over text files (binaries are not read here):
//!
//! | rule | finds |
//! |---|---|
//! | `aws-access-key` | `AKIA`/`ASIA` access key ids |
//! | `url-credentials` | `scheme://user:password@host` |
//! | `netrc-password` | `.netrc` `login` / `password` pairs |
//! | `httpd-conf-credentials` | BusyBox `httpd.conf` `/path:user:password` lines |
//! | `uci-secret` | OpenWrt UCI options named like a password, key, secret or token |
//! | `config-secret` | `name=value` settings named like a password or secret in `/etc` files and scripts |
//!
//! Values that are variable references, placeholders, paths or empty are ignored. Every value
//! is recorded masked; `well_known` marks defaults and dictionary words (`admin`, `public`,
//! `1234`, ...), or a password equal to its user name.

use hallmark_model::facts::{Coverage, Facts, RemoteEndpoint, Secret};

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`Secret`] and [`RemoteEndpoint`] facts.
pub(crate) struct SecretsCollector;

/// Values any attacker tries first.
const WELL_KNOWN: &[&str] = &[
    "1234",
    "12345",
    "123456",
    "12345678",
    "admin",
    "administrator",
    "changeme",
    "default",
    "guest",
    "pass",
    "passw0rd",
    "password",
    "password1",
    "password123",
    "private",
    "public",
    "qwerty",
    "root",
    "secret",
    "support",
    "toor",
    "user",
];

/// Setting names that hold secrets (matched as whole words of the name).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "psk",
    "passphrase",
    "token",
    "key",
    "apikey",
    "api_key",
    "community",
];

/// Setting names that look secret but are not (`key_file`, `encryption`, ...).
const NOT_SECRET_WORDS: &[&str] = &[
    "file",
    "path",
    "dir",
    "id",
    "mgmt",
    "type",
    "length",
    "len",
    "size",
    "mode",
    "min",
    "max",
    "encryption",
    "cipher",
    "hash",
    "algorithm",
    "format",
    "prompt",
    "expire",
    "expires",
    "timeout",
    "enable",
    "enabled",
    "auth",
    "method",
    "index",
];

/// Directories whose text files are configuration or scripts.
const CONFIG_ROOTS: &[&str] = &[
    "/etc/",
    "/www/",
    "/root/",
    "/home/",
    "/usr/sbin/",
    "/usr/bin/",
    "/sbin/",
    "/bin/",
    "/opt/",
    "/var/",
    "/init",
];

/// Files larger than this are not scanned as text.
const MAX_TEXT_BYTES: usize = 512 * 1024;

impl Collector for SecretsCollector {
    fn id(&self) -> &'static str {
        "secrets"
    }

    fn description(&self) -> &'static str {
        "hard-coded passwords, keys, tokens and URL credentials in configuration files and scripts, and the remote endpoints they name"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let max = usize::try_from(options.max_scan_bytes)
            .unwrap_or(usize::MAX)
            .min(MAX_TEXT_BYTES);
        let mut examined = 0u64;
        let mut skipped = 0u64;
        for file in image.files() {
            let path = image.rootfs_path(&file);
            if !CONFIG_ROOTS.iter().any(|r| path.starts_with(r)) {
                continue;
            }
            let bytes = file.bytes();
            if bytes.len() > max {
                // Large binaries are not configuration; a large text file is a gap.
                if !bytes.starts_with(b"\x7fELF") {
                    skipped = skipped.saturating_add(1);
                }
                continue;
            }
            let Some(text) = file.text() else { continue };
            if text.contains('\0') {
                continue;
            }
            examined = examined.saturating_add(1);
            scan(&file, path, text, facts);
        }
        let notes = if skipped > 0 {
            vec![format!(
                "{skipped} configuration-area files larger than {max} bytes were not scanned"
            )]
        } else {
            Vec::new()
        };
        coverage(image, examined, notes)
    }
}

fn mask(value: &str) -> String {
    let keep = if value.chars().count() > 8 { 2 } else { 1 };
    let shown: String = value.chars().take(keep).collect();
    format!(
        "{shown}{}",
        "*".repeat(value.chars().count().saturating_sub(keep).clamp(3, 12))
    )
}

fn is_well_known(value: &str, user: Option<&str>) -> bool {
    let lower = value.to_ascii_lowercase();
    WELL_KNOWN.contains(&lower.as_str()) || user.is_some_and(|u| u.eq_ignore_ascii_case(value))
}

/// A value worth reporting: not empty, not a reference, placeholder or path.
fn plausible(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 3
        && !v.starts_with('$')
        && !v.starts_with('/')
        && !v.starts_with('<')
        && !v.contains("${")
        && !v.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "none" | "null" | "yes" | "no" | "true" | "false" | "on" | "off" | "changeme_later"
        )
}

fn name_is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let secret = words.iter().any(|w| SECRET_WORDS.contains(w))
        || lower.ends_with("password")
        || lower.ends_with("passwd")
        || lower.ends_with("secret");
    secret && !words.iter().any(|w| NOT_SECRET_WORDS.contains(w))
}

fn kind_of(name: &str, section: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if section.starts_with("wifi") || lower.contains("psk") || lower.contains("wpa") {
        "wifi_psk"
    } else if lower.contains("community") {
        "snmp_community"
    } else if lower.contains("token") || lower.contains("secret") || lower.contains("key") {
        "api_key"
    } else {
        "password"
    }
}

fn service_of(name: &str, path: &str) -> Option<String> {
    let lower = format!(
        "{} {}",
        name.to_ascii_lowercase(),
        path.to_ascii_lowercase()
    );
    [
        "mqtt", "ftp", "smtp", "snmp", "vpn", "pppoe", "ppp", "wifi", "wireless", "http", "aws",
        "cloud", "sip",
    ]
    .iter()
    .find(|s| lower.contains(*s))
    .map(|s| {
        if *s == "wireless" {
            "wifi".to_owned()
        } else {
            (*s).to_owned()
        }
    })
}

struct Found<'a> {
    rule: &'a str,
    kind: &'a str,
    service: Option<String>,
    user: Option<String>,
    value: &'a str,
    line: usize,
}

fn record(facts: &mut Facts, file: &File<'_>, found: Found<'_>) {
    let well_known = is_well_known(found.value, found.user.as_deref());
    facts.secrets.push(Secret {
        rule: found.rule.to_owned(),
        kind: found.kind.to_owned(),
        service: found.service,
        user: found.user,
        masked: mask(found.value),
        well_known,
        location: file.line(found.line),
    });
}

fn scan(file: &File<'_>, path: &str, text: &str, facts: &mut Facts) {
    let name = shell::basename(path);
    let is_netrc = name == ".netrc" || name == "netrc";
    let is_httpd_conf = name == "httpd.conf";
    let is_uci = path.starts_with("/etc/config/");
    let mut section = String::new();
    let mut section_user: Option<String> = None;
    let mut netrc_user: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line_no = n.saturating_add(1);
        urls(file, line, line_no, facts);
        aws(file, line, line_no, facts);
        if is_netrc {
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.windows(2) {
                match pair {
                    ["login", user] => netrc_user = Some((*user).to_owned()),
                    ["password", value] if plausible(value) => record(
                        facts,
                        file,
                        Found {
                            rule: "netrc-password",
                            kind: "password",
                            service: Some("ftp".into()),
                            user: netrc_user.clone(),
                            value,
                            line: line_no,
                        },
                    ),
                    _ => {}
                }
            }
            continue;
        }
        if is_httpd_conf {
            // `/cgi-bin:admin:recovery` (path, user, password).
            let parts: Vec<&str> = line.trim().splitn(3, ':').collect();
            if let [p, user, value] = parts.as_slice() {
                if p.starts_with('/') && !user.is_empty() && plausible(value) {
                    record(
                        facts,
                        file,
                        Found {
                            rule: "httpd-conf-credentials",
                            kind: "password",
                            service: Some("http".into()),
                            user: Some((*user).to_owned()),
                            value,
                            line: line_no,
                        },
                    );
                }
            }
            continue;
        }
        if is_uci {
            let words = shell::commands(line)
                .into_iter()
                .next()
                .map(|c| c.words)
                .unwrap_or_default();
            match words.as_slice() {
                [config, kind, ..] if config == "config" => {
                    section = kind.clone();
                    section_user = None;
                }
                [option, key, value, ..] if option == "option" => {
                    let lower = key.to_ascii_lowercase();
                    if matches!(lower.as_str(), "username" | "user" | "login") {
                        section_user = Some(value.clone());
                    } else if (name_is_secret(key)
                        || (section.starts_with("wifi") && lower == "key"))
                        && plausible(value)
                    {
                        record(
                            facts,
                            file,
                            Found {
                                rule: "uci-secret",
                                kind: kind_of(key, &section),
                                service: if section.starts_with("wifi") {
                                    Some("wifi".into())
                                } else {
                                    service_of(key, path)
                                },
                                user: section_user.clone(),
                                value,
                                line: line_no,
                            },
                        );
                    }
                }
                _ => {}
            }
            continue;
        }
        if path.starts_with("/etc/") && !is_name_table(path) {
            config_assignment(file, path, line, line_no, facts);
        }
    }
}

/// `name=value`, `name = "value"` or `name value` settings named like secrets.
/// System tables of names and numbers (`kpasswd 464/tcp` in `/etc/services` is a port, not a
/// password setting).
fn is_name_table(path: &str) -> bool {
    matches!(
        path.rsplit('/').next().unwrap_or(""),
        "services" | "protocols" | "rpc" | "ethertypes" | "mime.types" | "networks" | "hosts"
    )
}

fn config_assignment(file: &File<'_>, path: &str, line: &str, line_no: usize, facts: &mut Facts) {
    let trimmed = line.trim();
    if trimmed.starts_with('#') || trimmed.starts_with(';') || trimmed.starts_with("//") {
        return;
    }
    let (key, value) = match trimmed.split_once('=') {
        Some((k, v)) => (k.trim(), v.trim()),
        None => match trimmed.split_once(char::is_whitespace) {
            Some((k, v)) => (k.trim(), v.trim()),
            None => return,
        },
    };
    let key = key.trim_start_matches("export ").trim();
    if key.is_empty() || key.contains(char::is_whitespace) || !name_is_secret(key) {
        return;
    }
    let value = value.trim_end_matches(';').trim().trim_matches(['"', '\'']);
    // SNMP communities are judged from the service settings.
    if value.contains(char::is_whitespace) || !plausible(value) || path.ends_with("snmpd.conf") {
        return;
    }
    record(
        facts,
        file,
        Found {
            rule: "config-secret",
            kind: kind_of(key, ""),
            service: service_of(key, path),
            user: None,
            value,
            line: line_no,
        },
    );
}

/// URLs: credentials inside them, and every configured endpoint.
fn urls(file: &File<'_>, line: &str, line_no: usize, facts: &mut Facts) {
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest
            .get(..at)
            .and_then(|before| {
                before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-'))
            })
            .map(|i| i.saturating_add(1))
            .unwrap_or(0);
        let scheme = rest
            .get(scheme_start..at)
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest.get(at.saturating_add(3)..).unwrap_or("");
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')' | '>' | '<'))
            .unwrap_or(after.len());
        let body = after.get(..end).unwrap_or("");
        rest = after.get(end..).unwrap_or("");
        if scheme.is_empty() || body.is_empty() || body.starts_with('$') {
            continue;
        }
        let host_part = body.split('/').next().unwrap_or("");
        let mut shown = body.to_owned();
        if let Some((userinfo, _host)) = host_part.rsplit_once('@') {
            if let Some((user, value)) = userinfo.split_once(':') {
                if plausible(value) {
                    record(
                        facts,
                        file,
                        Found {
                            rule: "url-credentials",
                            kind: "password",
                            service: Some(scheme.clone()),
                            user: Some(user.to_owned()),
                            value,
                            line: line_no,
                        },
                    );
                    shown = body.replacen(value, &mask(value), 1);
                }
            }
        }
        let encrypted = matches!(
            scheme.as_str(),
            "https"
                | "ftps"
                | "mqtts"
                | "ssl"
                | "tls"
                | "wss"
                | "ssh"
                | "sftp"
                | "scp"
                | "ldaps"
                | "sips"
        );
        if host_part.is_empty()
            || host_part.starts_with("localhost")
            || host_part.starts_with("127.")
        {
            continue;
        }
        facts.endpoints.push(RemoteEndpoint {
            url: format!("{scheme}://{shown}"),
            scheme,
            encrypted,
            location: file.line(line_no),
        });
    }
}

/// AWS access key ids (`AKIA`/`ASIA` + 16 upper-case letters or digits).
fn aws(file: &File<'_>, line: &str, line_no: usize, facts: &mut Facts) {
    let bytes = line.as_bytes();
    for prefix in ["AKIA", "ASIA"] {
        let mut from = 0usize;
        while let Some(at) = line.get(from..).and_then(|l| l.find(prefix)) {
            let start = from.saturating_add(at);
            let end = start.saturating_add(20);
            from = start.saturating_add(4);
            let Some(candidate) = line.get(start..end) else {
                break;
            };
            let boundary_before = start == 0
                || bytes
                    .get(start.saturating_sub(1))
                    .is_some_and(|b| !b.is_ascii_alphanumeric());
            let boundary_after = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if boundary_before
                && boundary_after
                && candidate
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                record(
                    facts,
                    file,
                    Found {
                        rule: "aws-access-key",
                        kind: "api_key",
                        service: Some("aws".into()),
                        user: None,
                        value: candidate,
                        line: line_no,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    fn collect(files: &[(&str, &str)]) -> Facts {
        let mut tree = FileTree::new();
        for (path, text) in files {
            tree.add(Entry::file(*path, text.as_bytes().to_vec()));
        }
        crate::tests::collect_tree(tree, &SecretsCollector)
    }

    fn summary(facts: &Facts) -> Vec<String> {
        facts
            .secrets
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} {} {}{}",
                    s.rule,
                    s.kind,
                    s.service.as_deref().unwrap_or("-"),
                    s.user.as_deref().unwrap_or("-"),
                    s.masked,
                    if s.well_known { " well-known" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn router_configuration_and_scripts() {
        let facts = collect(&[
            (
                "/etc/config/cloud",
                "config cloud 'main'\n\toption endpoint 'http://telemetry.example.invalid/api/v1'\n\toption aws_access_key_id 'AKIAFWSYNTH424224237'\n\toption aws_secret_access_key '0F678C8AC072FFC7E27C054B7CCFAE818473A8F8'\n\toption mqtt_password 'mqtt-Passw0rd!'\n",
            ),
            (
                "/usr/sbin/fw_upgrade.sh",
                "#!/bin/sh\nwget -O /tmp/fw.bin \"http://admin:Upd4te!2024@update.example.invalid/latest.bin\" && mtd write /tmp/fw.bin firmware\n",
            ),
            ("/etc/httpd.conf", "A:*\n/cgi-bin:admin:recovery\n"),
            (
                "/home/operator/.netrc",
                "machine backup.example.invalid login nasbackup password B4ckup-2024!\n",
            ),
            (
                "/etc/config/system",
                "config system\n\toption hostname 'x'\nconfig webui 'admin'\n\toption username 'admin'\n\toption password 'admin'\n",
            ),
            (
                "/etc/config/wireless",
                "config wifi-iface 'main'\n\toption encryption 'psk2'\n\toption key 'password123'\n",
            ),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "aws-access-key api_key aws - AK************",
                "uci-secret api_key aws - 0F************",
                "uci-secret password mqtt - mq************",
                "uci-secret password - admin a**** well-known",
                "uci-secret wifi_psk wifi - pa********* well-known",
                "httpd-conf-credentials password http admin r*******",
                "netrc-password password ftp nasbackup B4**********",
                "url-credentials password http admin Up*********",
            ]
        );
        let endpoints: Vec<(&str, bool)> = facts
            .endpoints
            .iter()
            .map(|e| (e.url.as_str(), e.encrypted))
            .collect();
        assert_eq!(
            endpoints,
            vec![
                ("http://telemetry.example.invalid/api/v1", false),
                (
                    "http://admin:Up*********@update.example.invalid/latest.bin",
                    false
                ),
            ]
        );
    }

    #[test]
    fn references_placeholders_and_non_secret_names_are_ignored() {
        let facts = collect(&[
            (
                "/etc/app.conf",
                "password=$PASSWORD\nkey_file=/etc/ssl/key.pem\nencryption=psk2\npassword=\nsecret = ********\n# password=hunter2\nadmin_password = \"s3cr3t-value\"\n",
            ),
            ("/etc/snmp/snmpd.conf", "rocommunity public\n"),
            ("/etc/services", "kpasswd\t\t464/tcp\nkpasswd\t\t464/udp\n"),
            ("/usr/share/doc/x.txt", "password=hunter2\n"),
        ]);
        assert_eq!(
            summary(&facts),
            vec!["config-secret password - - s3**********"]
        );
    }
}
