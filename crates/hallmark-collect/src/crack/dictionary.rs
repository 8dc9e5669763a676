//! The bundled dictionary: `data/passwords.txt`, compiled into the binary.
//!
//! Format (one entry a line, UTF-8, `\r` before `\n` ignored):
//! - `#@ <source>` starts a section: the entries after it have that source (e.g.
//!   `vendor default`, `common password`);
//! - `#= extended` ends the *likely* entries (tried at every depth); the entries after it are
//!   tried only at [`Depth::Full`](crate::CrackDepth::Full);
//! - other lines starting with `#`, and blank lines, are comments;
//! - `<password>` or `<password><TAB><tag>`: the tag (a vendor or product) is reported with
//!   the section's source, as `vendor default (Ubiquiti)`.
//!
//! A password cannot start with `#` or contain a TAB.

use std::sync::LazyLock;

/// The dictionary text.
const TEXT: &str = include_str!("../../data/passwords.txt");

/// One dictionary entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The password.
    pub(crate) password: &'static str,
    /// Its section's source.
    pub(crate) section: &'static str,
    /// Vendor or product, when the line gives one.
    pub(crate) tag: Option<&'static str>,
    /// Whether it comes before the `#= extended` marker.
    pub(crate) likely: bool,
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| parse(TEXT));

/// The entries in file order (repeats included; the candidate list drops them).
pub(crate) fn entries() -> &'static [Entry] {
    &ENTRIES
}

fn parse(text: &'static str) -> Vec<Entry> {
    let mut section = "dictionary";
    let mut likely = true;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(source) = line.strip_prefix("#@") {
            section = source.trim();
            continue;
        }
        if line.trim_end() == "#= extended" {
            likely = false;
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (password, tag) = match line.split_once('\t') {
            Some((password, tag)) => (password, Some(tag.trim()).filter(|t| !t.is_empty())),
            None => (line, None),
        };
        if !password.is_empty() {
            out.push(Entry {
                password,
                section,
                tag,
                likely,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn format() {
        let e = parse(
            "# comment\n#@ vendor default\nubnt\tUbiquiti\r\n\nadmin\n#@ common password\n#= extended\n123456\n",
        );
        assert_eq!(
            e,
            vec![
                Entry {
                    password: "ubnt",
                    section: "vendor default",
                    tag: Some("Ubiquiti"),
                    likely: true,
                },
                Entry {
                    password: "admin",
                    section: "vendor default",
                    tag: None,
                    likely: true,
                },
                Entry {
                    password: "123456",
                    section: "common password",
                    tag: None,
                    likely: false,
                },
            ]
        );
    }

    #[test]
    fn bundled_dictionary_is_sane() {
        let e = entries();
        assert!(e.len() >= 2000, "{} entries", e.len());
        // Vendor defaults come first, then the rest.
        assert_eq!(e[0].section, "vendor default");
        // The likely entries (every vendor default and botnet entry, and a few of the most
        // common passwords) come first and are a small part of the whole.
        let likely = e.iter().take_while(|e| e.likely).count();
        assert!(e[likely..].iter().all(|e| !e.likely));
        assert!((300..=400).contains(&likely), "{likely} likely entries");
        assert!(e[..likely].iter().any(|e| e.section == "IoT botnet list"));
        assert!(e[likely..].iter().all(|e| e.section != "vendor default"));
        let sections: Vec<&str> = e.iter().map(|e| e.section).collect();
        let mut order: Vec<&str> = sections.clone();
        order.dedup();
        let distinct: HashSet<&str> = order.iter().copied().collect();
        assert_eq!(
            order.len(),
            distinct.len(),
            "each section appears once: {order:?}"
        );
        for entry in e {
            assert!(!entry.password.contains('\t'));
            assert!(entry.password.len() <= 64, "{:?}", entry.password);
            assert_eq!(
                entry.password.trim(),
                entry.password,
                "{:?}",
                entry.password
            );
        }
        for must in [
            "admin",
            "1234",
            "12345",
            "password",
            "root",
            "default",
            "support",
            "user",
            "guest",
            "ubnt",
            "realtek",
            "5up",
            "zte",
            "huawei",
            "tplink",
            "dlink",
            "netgear",
            "xc3511",
            "vizxv",
            "xmhdipc",
            "raspberry",
            "calvin",
        ] {
            assert!(e.iter().any(|x| x.password == must), "{must} missing");
        }
    }
}
