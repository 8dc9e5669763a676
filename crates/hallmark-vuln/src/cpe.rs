//! CPE 2.3 formatted strings: `cpe:2.3:part:vendor:product:version:update:...`.

/// The parts of a CPE 2.3 formatted string that matching uses. Fields are kept as written
/// (lowercased), escapes included (`\:`), so they compare as NVD writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpe {
    /// `a` (application), `o` (operating system) or `h` (hardware).
    pub part: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Version; `*` any, `-` not applicable.
    pub version: String,
    /// Update (`p1` for OpenSSH's `8.4p1`); `*` any.
    pub update: String,
}

/// The longest CPE string accepted.
const MAX_CPE_LEN: usize = 1024;

impl Cpe {
    /// Parses a CPE 2.3 formatted string; `None` unless it has the 13 fields.
    pub fn parse(text: &str) -> Option<Cpe> {
        if text.len() > MAX_CPE_LEN {
            return None;
        }
        let mut fields = Vec::with_capacity(13);
        let mut current = String::new();
        let mut escaped = false;
        for c in text.chars() {
            if escaped {
                current.push(c);
                escaped = false;
            } else if c == '\\' {
                current.push(c);
                escaped = true;
            } else if c == ':' {
                fields.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        fields.push(current);
        if fields.len() != 13 || fields.first()? != "cpe" || fields.get(1)? != "2.3" {
            return None;
        }
        let field = |i: usize| fields.get(i).map(|f| f.to_ascii_lowercase());
        let part = field(2)?;
        if !matches!(part.as_str(), "a" | "o" | "h") {
            return None;
        }
        Some(Cpe {
            part,
            vendor: field(3)?,
            product: field(4)?,
            version: field(5)?,
            update: field(6)?,
        })
    }

    /// `part:vendor:product`.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.part, self.vendor, self.product)
    }

    /// The version without CPE escapes (`1.0\-rc1` -> `1.0-rc1`).
    pub fn plain_version(&self) -> String {
        unescape(&self.version)
    }

    /// The update without CPE escapes.
    pub fn plain_update(&self) -> String {
        unescape(&self.update)
    }
}

/// `a\.b` -> `a.b`.
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escaped = false;
    for c in text.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let c = Cpe::parse("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2020.81:*:*:*:*:*:*:*")
            .unwrap();
        assert_eq!(c.key(), "a:dropbear_ssh_project:dropbear_ssh");
        assert_eq!(c.version, "2020.81");
        let c = Cpe::parse(r"cpe:2.3:a:vendor:pro\:duct:1.0\-rc1:p1:*:*:*:*:*:*").unwrap();
        assert_eq!(c.product, r"pro\:duct");
        assert_eq!(c.plain_version(), "1.0-rc1");
        assert_eq!(c.plain_update(), "p1");
        for bad in [
            "",
            "cpe:2.3:a:busybox:busybox",
            "cpe:2.2:a:busybox:busybox:1:*:*:*:*:*:*:*",
            "cpe:2.3:x:busybox:busybox:1:*:*:*:*:*:*:*",
            "cpe:2.3:a:busybox:busybox:1:*:*:*:*:*:*:*:*",
        ] {
            assert!(Cpe::parse(bad).is_none(), "{bad}");
        }
        assert!(Cpe::parse(&"a:".repeat(5000)).is_none());
    }
}
