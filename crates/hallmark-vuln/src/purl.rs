//! Package URLs: `pkg:type/namespace/name@version?qualifiers`.

use std::collections::BTreeMap;

/// A parsed package URL (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// `apk`, `deb`, `opkg`, `generic`, ...
    pub kind: String,
    /// `alpine`, `debian`, `openwrt`; empty when absent.
    pub namespace: String,
    /// Package name.
    pub name: String,
    /// Version, when given.
    pub version: Option<String>,
    /// Qualifiers (`arch`, `distro`, `upstream`).
    pub qualifiers: BTreeMap<String, String>,
}

impl Purl {
    /// Parses a package URL; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Purl> {
        let rest = text.strip_prefix("pkg:")?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) => (p, Some(decode(v))),
            None => (rest, None),
        };
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.len() < 2 {
            return None;
        }
        let kind = segments.remove(0).to_ascii_lowercase();
        let name = decode(segments.pop()?);
        let namespace = segments
            .iter()
            .map(|s| decode(s))
            .collect::<Vec<_>>()
            .join("/");
        let mut qualifiers = BTreeMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            if let Some((k, v)) = pair.split_once('=') {
                qualifiers.insert(k.to_ascii_lowercase(), decode(v));
            }
        }
        Some(Purl {
            kind,
            namespace,
            name,
            version,
            qualifiers,
        })
    }

    /// Whether `other` names the same package (type, namespace, name), whatever the version
    /// and qualifiers.
    pub fn same_package(&self, other: &Purl) -> bool {
        self.kind == other.kind
            && self.namespace.eq_ignore_ascii_case(&other.namespace)
            && self.name == other.name
    }
}

/// Percent-decoding; invalid escapes are kept as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_distribution_purls() {
        let p = Purl::parse(
            "pkg:deb/debian/busybox-static@1%3A1.30.1-6%2Bb3?arch=armhf&distro=debian-11&upstream=busybox",
        )
        .unwrap();
        assert_eq!((p.kind.as_str(), p.namespace.as_str()), ("deb", "debian"));
        assert_eq!(p.name, "busybox-static");
        assert_eq!(p.version.as_deref(), Some("1:1.30.1-6+b3"));
        assert_eq!(
            p.qualifiers.get("upstream").map(String::as_str),
            Some("busybox")
        );
        let g = Purl::parse("pkg:generic/busybox").unwrap();
        assert_eq!((g.namespace.as_str(), g.version), ("", None));
        assert!(Purl::parse("busybox").is_none());
        assert!(Purl::parse("pkg:generic").is_none());
        assert_eq!(
            Purl::parse("pkg:generic/a@%zz%4")
                .unwrap()
                .version
                .as_deref(),
            Some("%zz%4")
        );
    }
}
