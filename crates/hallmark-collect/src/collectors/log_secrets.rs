//! Secrets in logs: scripts that pass secret variables to a logging command, and programs whose
//! message formats print a secret.
//!
//! Scripts (files starting with `#!`, `*.sh`, and files under `/etc/init.d`, `/etc/rc.d`,
//! `/etc/hotplug.d`): a line that logs (`logger`, or a redirection to `/var/log/...`, a file or
//! variable named like a log, or `/dev/kmsg`) and whose logging command (`logger`, or the `echo`
//! or `printf` feeding the log) expands a variable named like a secret (`$PASSWORD`,
//! `${wifi_key}`, `$PSK`, `$auth_token`, ...; not `$PASSWORD_FILE` or `$key_len`).
//!
//! Programs (ELF files): printable strings that format a secret into a human-readable message
//! (`PPPoE password:%s`, `%s vapIdx: %d, pwd: %s`, `auth(secret=%s) -> %02x`). Strings that
//! only build configuration lines (`wpa_passphrase=%s`), URLs (`&password=%s`), command lines
//! (`iwpriv %s set WPAPSK=%s`, `--passwd=%s`) or print something about a secret rather than
//! the secret (`Bad password: %s`, `secret_len = %d`) are left out. Whether a matching
//! message is logged is not known: these are lower-confidence observations.
//!
//! The coverage counts the scripts examined.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use hallmark_model::facts::{Coverage, Facts, LogLeak};

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`LogLeak`] facts.
pub(crate) struct LogSecretsCollector;

const MAX_SCRIPT_BYTES: usize = 512 * 1024;
/// Format-string findings kept per program.
const MAX_PER_PROGRAM: usize = 5;
/// Longest excerpt kept.
const EXCERPT_MAX: usize = 160;

impl Collector for LogSecretsCollector {
    fn id(&self) -> &'static str {
        "log-secrets"
    }

    fn description(&self) -> &'static str {
        "scripts that pass secret variables to logger or log files, and programs with message formats that print passwords, keys or tokens"
    }

    fn collect(&self, image: &Image<'_>, options: &Options, facts: &mut Facts) -> Coverage {
        let mut scripts = 0u64;
        let max_bytes = usize::try_from(options.max_scan_bytes).unwrap_or(usize::MAX);
        for file in image.files() {
            let path = image.rootfs_path(&file);
            let bytes = file.bytes();
            if bytes.starts_with(b"\x7fELF") {
                if bytes.len() <= max_bytes {
                    format_strings(&file, bytes, facts);
                }
                continue;
            }
            if !is_script(path, bytes) {
                continue;
            }
            let Some(text) = file.text().filter(|t| t.len() <= MAX_SCRIPT_BYTES) else {
                continue;
            };
            scripts = scripts.saturating_add(1);
            script(&file, text, facts);
        }
        // What a check needs to have seen is the scripts; programs are searched as well.
        coverage(image, scripts, Vec::new())
    }
}

fn is_script(path: &str, bytes: &[u8]) -> bool {
    let shebang = bytes.starts_with(b"#!")
        && bytes
            .iter()
            .take(64)
            .take_while(|b| **b != b'\n')
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| matches!(w, [b's', b'h']));
    shebang
        || path.ends_with(".sh")
        || path.starts_with("/etc/init.d/")
        || path.starts_with("/etc/rc.d/")
        || path.starts_with("/etc/hotplug.d/")
}

fn shorten(text: &str) -> String {
    let text = crate::redact::mask_url_credentials(text.trim());
    let text = text.as_str();
    if text.chars().count() <= EXCERPT_MAX {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(EXCERPT_MAX).collect();
    out.push_str("...");
    out
}

/// The parts of an identifier, lowercase: `wifiKey` -> `wifi`, `key`; `AUTH_TOKEN` -> `auth`,
/// `token`.
fn parts(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '.' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Parts that make a name a secret on their own.
const SECRET_PARTS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "psk",
    "wpapsk",
    "passwort",
    "credential",
    "credentials",
];
/// Parts that make `key` or `token` a secret.
const QUALIFIERS: &[&str] = &[
    "wpa", "wep", "wifi", "wlan", "psk", "private", "priv", "secret", "api", "auth", "shared",
    "enc", "crypt", "session", "access", "bearer", "refresh", "id", "csrf", "sip", "radius",
];
/// Parts that make a secret-looking name something about a secret, not the secret.
const NOT_THE_VALUE: &[&str] = &[
    "file", "path", "dir", "len", "length", "type", "mode", "format", "fmt", "size", "name",
    "count", "changed", "set", "enabled", "enable", "min", "max", "policy", "prompt", "label",
    "field", "status", "check", "hash", "id", "url", "expire", "expires", "age", "required", "ok",
    "fail", "failed", "error", "err", "retry", "retries", "hint", "strength", "salt",
];

/// Whether a variable or identifier name stands for a secret value.
fn is_secret_name(name: &str) -> bool {
    let parts = parts(name);
    let last = parts.last().map(String::as_str).unwrap_or("");
    if NOT_THE_VALUE.contains(&last) {
        return false;
    }
    parts.iter().enumerate().any(|(i, p)| {
        SECRET_PARTS.contains(&p.as_str())
            || ((p == "key" || p == "token" || p == "pin")
                && i > 0
                && parts
                    .get(..i)
                    .is_some_and(|before| before.iter().any(|b| QUALIFIERS.contains(&b.as_str()))))
            || matches!(
                p.as_str(),
                "wpakey" | "wifikey" | "apikey" | "privkey" | "authtoken" | "accesstoken"
            )
    })
}

/// Variable names referenced by `$NAME` or `${NAME...}` in a word.
fn refs(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        let after = rest.get(at.saturating_add(1)..).unwrap_or("");
        let inner = after.strip_prefix('{').unwrap_or(after);
        let end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let name = inner.get(..end).unwrap_or("");
        if !name.is_empty() {
            out.push(name);
        }
        rest = inner.get(end..).unwrap_or("");
    }
    out
}

/// Where a line writes a log, if it does: `/var/log/...`, a `*log*` file or variable, or
/// `/dev/kmsg`, as the target of `>` or `>>`.
fn log_redirect(line: &str) -> Option<String> {
    let mut rest = line;
    while let Some(at) = rest.find('>') {
        let after = rest.get(at.saturating_add(1)..).unwrap_or("");
        let after = after.trim_start_matches('>').trim_start();
        if after.starts_with('&') {
            rest = after;
            continue;
        }
        let target: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '|' | '&' | ')'))
            .filter(|c| !matches!(c, '"' | '\''))
            .collect();
        let lower = target.to_ascii_lowercase();
        let base = lower.rsplit('/').next().unwrap_or("");
        if lower.starts_with("/var/log/")
            || lower == "/dev/kmsg"
            || base.contains("log") && !base.contains("login") && base != "/dev/null"
        {
            return Some(target);
        }
        rest = after;
    }
    None
}

fn script(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || !(trimmed.contains('$')) {
            continue;
        }
        let commands = shell::commands(line);
        let to_logger = commands
            .iter()
            .any(|c| shell::basename(c.program()) == "logger");
        let redirect = log_redirect(line);
        if !to_logger && redirect.is_none() {
            continue;
        }
        for command in &commands {
            let program = shell::basename(command.program());
            let (logged, sink) = match program {
                "logger" => (true, "logger".to_owned()),
                "echo" | "printf" | "print" => match &redirect {
                    Some(target) => (true, target.clone()),
                    None => (to_logger, "logger".to_owned()),
                },
                _ => (false, String::new()),
            };
            if !logged {
                continue;
            }
            let secret = command
                .args()
                .iter()
                .flat_map(|a| refs(a))
                .find(|name| is_secret_name(name));
            if let Some(name) = secret {
                let leak = LogLeak {
                    kind: "script".into(),
                    secret: format!("${name}"),
                    sink,
                    excerpt: shorten(line),
                    location: file.line(n.saturating_add(1)),
                };
                if !facts.log_leaks.contains(&leak) {
                    facts.log_leaks.push(leak);
                }
                break;
            }
        }
    }
}

/// Key words of secrets in message formats, and whether they need a qualifier before them
/// (`auth_token`, `wpa key`).
const FORMAT_KEYS: &[(&str, bool)] = &[
    ("password", false),
    ("passwd", false),
    ("passphrase", false),
    ("pwd", false),
    ("pass", false),
    ("secret", false),
    ("psk", false),
    ("token", true),
    ("key", true),
];

/// Words of failure messages, whose argument is a reason or a file name.
const FAILURE_WORDS: &[&str] = &[
    "unable",
    "failed",
    "failure",
    "error",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "invalid",
    "mismatch",
];

/// First words of command lines built with a secret (not messages).
const COMMANDS: &[&str] = &[
    "iwpriv",
    "iwconfig",
    "wl",
    "nvram",
    "uci",
    "echo",
    "sh",
    "ifconfig",
    "pppd",
    "wpa_cli",
    "hostapd_cli",
    "msmtp",
    "wget",
    "curl",
    "chpasswd",
    "mount",
    "smbpasswd",
];

/// Words that, before the key, say the value is not the secret.
const NOT_VALUE_BEFORE: &[&str] = &[
    "bad",
    "invalid",
    "wrong",
    "incorrect",
    "weak",
    "master",
    "unknown",
    "missing",
    "empty",
    "no",
    "expired",
    "short",
    "long",
    "get",
    "set",
];

/// Printable strings of at least 6 bytes, ended by a non-printable byte, that contain a `%`
/// and one of the [`FORMAT_KEYS`] (any case) and format a secret ([`secret_format`]), in file
/// order, at most [`MAX_PER_PROGRAM`] of them.
fn format_strings(file: &File<'_>, bytes: &[u8], facts: &mut Facts) {
    let printable = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\t';
    let mut found = 0usize;
    // Every string is looked at from its first `%`; later ones in it are skipped.
    let mut next = 0usize;
    for percent in memchr::memchr_iter(b'%', bytes) {
        if percent < next {
            continue;
        }
        let before = bytes.get(..percent).unwrap_or_default();
        let start = before
            .iter()
            .rposition(|b| !printable(b))
            .map_or(0, |p| p.saturating_add(1));
        // A string that runs to the end of the data is not ended, so not a string.
        let Some(length) = bytes
            .get(percent..)
            .and_then(|after| after.iter().position(|b| !printable(b)))
        else {
            break;
        };
        let end = percent.saturating_add(length);
        next = end;
        if end.saturating_sub(start) < 6 {
            continue;
        }
        let Some(run) = bytes.get(start..end) else {
            continue;
        };
        // Most strings with a `%` name no secret: skip them before the closer reading.
        if SECRET_WORDS
            .as_ref()
            .is_some_and(|words| !words.is_match(run))
        {
            continue;
        }
        if let Some((secret, message)) = std::str::from_utf8(run)
            .ok()
            .and_then(|s| secret_format(s).map(|k| (k, s)))
        {
            let leak = LogLeak {
                kind: "format-string".into(),
                secret,
                sink: "message".into(),
                excerpt: shorten(message),
                location: file.at(start),
            };
            if !facts.log_leaks.contains(&leak) {
                facts.log_leaks.push(leak);
                found = found.saturating_add(1);
                if found >= MAX_PER_PROGRAM {
                    return;
                }
            }
        }
    }
}

/// The words one of which (any case) every string [`secret_format`] accepts contains: each of
/// [`FORMAT_KEYS`] contains one of them.
static SECRET_WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["pass", "pwd", "secret", "psk", "token", "key"])
        .ok()
});

/// Whether a string formats a secret into a message; returns the secret as written
/// (`password:%s`).
fn secret_format(s: &str) -> Option<String> {
    if s.len() > 512 {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let trimmed = lower.trim();
    // Requests, command lines, XML and attribute templates, and failure messages (whose
    // argument is a reason or a file name, not the secret).
    if lower.contains("http/1.")
        || trimmed.starts_with('<')
        || lower.contains("<%s")
        || lower.contains("=\"%")
        || lower.contains("='%")
        || FAILURE_WORDS.iter().any(|w| lower.contains(w))
        || trimmed.starts_with("get ")
        || trimmed.starts_with("post ")
        || lower.contains(" --")
        || trimmed
            .split_whitespace()
            .next()
            .is_some_and(|w| COMMANDS.contains(&w))
    {
        return None;
    }
    let bytes = lower.as_bytes();
    let mut pairs = Vec::new();
    for (key, qualified) in FORMAT_KEYS {
        let mut from = 0usize;
        while let Some(at) = lower.get(from..).and_then(|r| r.find(key)) {
            let at = at.saturating_add(from);
            let end = at.saturating_add(key.len());
            from = end;
            // The identifier the key ends: letters, digits and `_` before it.
            let ident_start = lower
                .get(..at)
                .and_then(|b| b.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
                .map_or(0, |p| p.saturating_add(1));
            let ident = lower.get(ident_start..end).unwrap_or("");
            // The key must end the identifier (`secret_len`, `passwords` are not secrets).
            if bytes
                .get(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                continue;
            }
            if *key == "pass" && ident != "pass" && !ident.ends_with("_pass") {
                continue;
            }
            let prefix = ident
                .get(..ident.len().saturating_sub(key.len()))
                .unwrap_or("");
            let before = bytes.get(ident_start.saturating_sub(1)).copied();
            // A URL query or an option (`&password=`, `--passwd=`).
            if matches!(before, Some(b'&' | b'?' | b'-')) {
                continue;
            }
            // The word before says it is not the value (`Bad password: %s`).
            let previous_word = lower
                .get(..ident_start)
                .unwrap_or("")
                .split(|c: char| !c.is_ascii_alphabetic())
                .rfind(|w| !w.is_empty())
                .unwrap_or("");
            let separated = lower
                .get(..ident_start)
                .is_some_and(|b| b.ends_with(' ') || b.ends_with('\t'));
            if separated && NOT_VALUE_BEFORE.contains(&previous_word) {
                continue;
            }
            // `key` and `token` count only as part of a qualified identifier (`wpa_key`,
            // `authToken`): `WEP key: %s` is as often the key's kind as its value.
            if *qualified && !QUALIFIERS.iter().any(|q| prefix.contains(q)) {
                continue;
            }
            // Separator and a string conversion: `=`, `:`, ` = `, `: `, ` is `.
            let after = lower.get(end..).unwrap_or("");
            let Some((separator, rest)) = separator(after) else {
                continue;
            };
            let rest = rest.trim_start_matches(['"', '\'', '[', '<', '(', '`']);
            let Some(conversion) = rest.strip_prefix('%') else {
                continue;
            };
            let conversion =
                conversion.trim_start_matches(|c: char| c.is_ascii_digit() || "-.*".contains(c));
            if !conversion.starts_with('s') {
                continue;
            }
            let written = s.get(ident_start..end).unwrap_or(key);
            pairs.push((written.to_owned(), separator));
        }
    }
    let (written, separator) = pairs.first()?.clone();
    // A configuration line or template: `key=%s`, `key = %s` or `key:%s` fields and nothing
    // else of a message. `password: %s` reads as a message (a debug or console print).
    if (separator.contains('=') || separator == ":") && !has_message_words(&lower) {
        return None;
    }
    Some(format!("{written}{separator}%s"))
}

fn separator(after: &str) -> Option<(&'static str, &str)> {
    for (sep, label) in [
        (" = ", "="),
        ("= ", "="),
        (" =", "="),
        ("=", "="),
        (": ", ": "),
        (" : ", ": "),
        (":", ":"),
        (" is ", " is "),
    ] {
        if let Some(rest) = after.strip_prefix(sep) {
            // `=` with spaces around it is written as such (`secret= %s`).
            let label = if label == "=" && sep.contains(' ') {
                " = "
            } else {
                label
            };
            return Some((label, rest));
        }
    }
    None
}

/// Whether a string has words beyond `key=%fmt` fields: message text such as a function name,
/// `failed`, `->`.
fn has_message_words(lower: &str) -> bool {
    let mut words = 0usize;
    let lower = lower
        .replace(":%", "=%")
        .replace(" = ", "=")
        .replace("= ", "=")
        .replace(" =", "=");
    let fields = lower.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '&' | '(' | ')' | '[' | ']' | ':')
    });
    for token in fields {
        let token = token.trim_matches(['"', '\'', '\\']);
        if token.is_empty() || token.starts_with('%') {
            continue;
        }
        // `key=value` fields, and a lone `=`, are not message words.
        if token.contains('=') {
            continue;
        }
        if token.chars().any(|c| c.is_ascii_alphabetic()) {
            words = words.saturating_add(1);
        }
    }
    words > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(files: &[(&str, &[u8])]) -> Facts {
        crate::tests::collect_files(files, &LogSecretsCollector)
    }

    fn summary(facts: &Facts) -> Vec<String> {
        facts
            .log_leaks
            .iter()
            .map(|l| {
                let (path, line) = crate::tests::path_line(&l.location);
                format!("{} {} -> {} {path}:{line}", l.kind, l.secret, l.sink)
            })
            .collect()
    }

    #[test]
    fn every_format_key_contains_a_secret_word() {
        let words = SECRET_WORDS.as_ref().unwrap();
        for (key, _) in FORMAT_KEYS {
            assert!(words.is_match(key), "{key}");
            assert!(words.is_match(key.to_ascii_uppercase().as_str()), "{key}");
        }
    }

    /// The strings the program scan reads, as it read them before it searched for `%` first:
    /// every printable run, ended by a non-printable byte, of 6 bytes or more with a `%`.
    fn reference_format_strings(bytes: &[u8]) -> Vec<(u64, String, String)> {
        let mut out = Vec::new();
        let mut start = 0usize;
        for (i, b) in bytes.iter().enumerate() {
            if (0x20..0x7f).contains(b) || *b == b'\t' {
                continue;
            }
            if i - start >= 6 && bytes[start..i].contains(&b'%') {
                let s = std::str::from_utf8(&bytes[start..i]).unwrap();
                if let Some(secret) = secret_format(s) {
                    let item = (start as u64, secret, shorten(s));
                    if !out.contains(&item) {
                        out.push(item);
                    }
                }
            }
            start = i + 1;
        }
        out.truncate(MAX_PER_PROGRAM);
        out
    }

    /// Programs made of message formats, other strings and binary noise give the findings the
    /// byte-by-byte reading gave, wherever the strings fall (first, last, unterminated).
    #[test]
    fn program_scan_reads_strings_as_before() {
        let strings: &[&[u8]] = &[
            b"PPPoE password:%s",
            b"%s vapIdx: %d, pwd: %s",
            b"password=%s",
            b"Bad password: %s",
            b"WPAKey: %s",
            b"usage: %s [-p password]",
            b"%%%",
            b"key%s",
            b"\tauth_token: %s",
            b"rootAP password:%s",
            b"plain text without conversions",
            b"ppp: auth_token: %s",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut findings = 0;
        for case in 0..300 {
            let mut elf = b"\x7fELF".to_vec();
            for _ in 0..(next() % 12) {
                match next() % 4 {
                    0 => elf.extend_from_slice(strings[(next() % strings.len() as u64) as usize]),
                    1 => elf.push(0),
                    2 => elf.extend((0..next() % 9).map(|_| (next() % 256) as u8)),
                    _ => elf.extend((0..next() % 5).map(|_| b"%aps:= "[(next() % 7) as usize])),
                }
            }
            let facts = collect(&[("/bin/prog", &elf)]);
            let got: Vec<(u64, String, String)> = facts
                .log_leaks
                .iter()
                .map(|l| match &l.location {
                    hallmark_model::Location::Image { offset, .. } => {
                        (offset.unwrap(), l.secret.clone(), l.excerpt.clone())
                    }
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, reference_format_strings(&elf), "case {case}: {elf:?}");
            findings += got.len();
        }
        assert!(findings > 100, "{findings}");
    }

    #[test]
    fn secret_names() {
        for name in [
            "PASSWORD",
            "admin_passwd",
            "wifiKey",
            "WPA_KEY",
            "auth_token",
            "psk",
            "ppp_pass",
            "secret",
            "rootPwd",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PASSWORD_FILE",
            "key",
            "token",
            "keyword",
            "key_len",
            "pass_count",
            "monkey",
            "passive",
            "HOTKEY",
            "mypath",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn scripts_logging_secrets() {
        let facts = collect(&[(
            "/etc/init.d/pppoe",
            b"#!/bin/sh\n\
              logger -t pppoe \"connecting as $user with password $PPP_PASS\"\n\
              echo \"wifi key: ${wifi_key}\" >> /var/log/messages\n\
              echo \"$PSK\" | logger\n\
              echo \"$PASSWORD\" > /tmp/pw\n\
              logger \"password file is $PASSWORD_FILE\"\n\
              [ -n \"$password\" ] && logger \"password set\"\n\
              echo \"token=$auth_token\" >> $LOGFILE\n\
              # logger \"$PASSWORD\"\n",
        )]);
        assert_eq!(
            summary(&facts),
            vec![
                "script $PPP_PASS -> logger /etc/init.d/pppoe:2",
                "script $wifi_key -> /var/log/messages /etc/init.d/pppoe:3",
                "script $PSK -> logger /etc/init.d/pppoe:4",
                "script $auth_token -> $LOGFILE /etc/init.d/pppoe:8",
            ]
        );
    }

    #[test]
    fn message_formats_in_programs() {
        let yes = [
            "setup_wan_pppoe_CGI():PPPOE password:%s",
            "Password: %s",
            ">>>>>>>>>>>passwd: %s ",
            "%s vapIdx: %d, pwd: %s",
            "rootAP password:%s",
            "auth_gen_response(secret=%s) -> %02x%02x",
            "ppp: auth_token: %s",
            "WPAKey: %s",
        ];
        for s in yes {
            assert!(secret_format(s).is_some(), "{s}");
        }
        let no = [
            "password=%s",
            "password = %s",
            " secret_len = %d, secret= %s",
            "wpa_passphrase=%s\n",
            "password:%s",
            "\tpsk=%s",
            "adminPwd=%s",
            "GET /nic/update?username=%s&password=%s&hostname=%s HTTP/1.0",
            "username=%s&pass=%s&h[]=%s",
            "type=6;id=%s&pwd=%s;ver=%s;time=%d",
            "iwpriv %s set WPAPSK=%s",
            "msmtp -T %s --auth= --user=%s --passwd=%s --host=%s",
            "Bad password: %s",
            "Extended master secret: %s",
            "setting: token=%s, type=%d, id=%s",
            "parseToken: no ':', token:%s",
            "set lna gain = %ddb, hpf_bypass = %s",
            "password: %d tries left",
            "Unknown key: %s",
            "unable to load private key: %s",
            "EAPOL: Setting dynamic WEP key: %s keyidx %d len %d",
            "<ppp_conId%d userName=\"%s\" password=\"%s\" auth=\"%s\"/>",
            "<%s id=\"%d\" password=\"%s\"/>",
            "login failed for %s, password: %s",
        ];
        for s in no {
            assert!(secret_format(s).is_none(), "{s}");
        }
        let mut elf = b"\x7fELF\x01\x01\x01\0".to_vec();
        elf.extend_from_slice(b"\0\0usage: %s\0PPPoE password:%s\0psk=%s\0\xff\xfe");
        let facts = collect(&[("/usr/sbin/pppd", &elf)]);
        let leaks: Vec<(String, String)> = facts
            .log_leaks
            .iter()
            .map(|l| (l.secret.clone(), l.excerpt.clone()))
            .collect();
        assert_eq!(
            leaks,
            vec![("password:%s".to_owned(), "PPPoE password:%s".to_owned())]
        );
        match &facts.log_leaks[0].location {
            hallmark_model::Location::Image { offset, .. } => assert_eq!(*offset, Some(20)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_text_does_not_panic() {
        let hostile: &[u8] = b"#!/bin/sh\nlogger $\nlogger ${\nlogger ${PASS\necho >\necho $x >>\n>>>\n%\n%s:password\npassword\npassword:\npassword:%\npassword:%-\n\xff\xfe%s";
        let mut elf = b"\x7fELF".to_vec();
        elf.extend_from_slice(hostile);
        elf.extend_from_slice(b"\0password:%");
        let facts = collect(&[("/bin/x.sh", hostile), ("/bin/y", &elf)]);
        assert!(facts.coverage.contains_key("log-secrets"));
    }
}
