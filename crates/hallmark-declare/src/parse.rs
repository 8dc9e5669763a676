//! Reading and validating a declaration file; every problem names the file, line and field.

use std::collections::BTreeMap;

use hallmark_catalog::{Catalog, Diagnostic};

use crate::date::Date;
use crate::types::{ClaimStatus, DeclaredDate, Field, RawDeclaration};
use crate::{Declaration, DeclarationError};

/// The format line every declaration starts with.
pub const FORMAT: &str = "hallmark-declaration/1";
/// Largest declaration file accepted.
pub const MAX_DECLARATION_BYTES: u64 = 1024 * 1024;
/// Longest single text value, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Longest `disclosure.security_txt`, in characters.
pub const MAX_SECURITY_TXT_CHARS: usize = 16 * 1024;
/// Most evidence references one claim may carry.
pub const MAX_EVIDENCE_REFS: usize = 32;
/// Longest response timeline (acknowledgement, status updates, deferral), in days.
pub const MAX_TIMELINE_DAYS: u16 = 365;
/// Longest update-check interval, in hours (one year).
pub const MAX_CHECK_INTERVAL_HOURS: u16 = 8760;

/// Byte offsets of line starts, for turning offsets into 1-based lines and columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lines {
    text: String,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        Lines {
            text: text.to_owned(),
        }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset, clamped to the text.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let before = self.text.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count().saturating_add(1);
        let start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
        let column = before
            .get(start..)
            .unwrap_or_default()
            .chars()
            .count()
            .saturating_add(1);
        (line, column)
    }

    fn line_text(&self, offset: usize) -> &str {
        let offset = offset.min(self.text.len());
        let start = self
            .text
            .get(..offset)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i.saturating_add(1));
        self.text
            .get(start..)
            .unwrap_or_default()
            .split('\n')
            .next()
            .unwrap_or_default()
    }

    /// The nearest `[table]` or `[[array]]` header above `offset`, or on its line.
    fn header_before(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let end = self
            .text
            .get(offset..)
            .and_then(|rest| rest.find('\n'))
            .map_or(self.text.len(), |i| offset.saturating_add(i));
        let before = self.text.get(..end)?;
        before
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    }
}

/// Collects diagnostics against one file.
struct Problems<'a> {
    file: &'a str,
    lines: &'a Lines,
    found: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, field: impl Into<String>, message: impl Into<String>) {
        let (line, column) = self.lines.line_col(offset);
        self.found.push(Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: Option<&Field<String>>, name: &str, limit: usize, multiline: bool) {
        let Some(field) = field else { return };
        let value = &field.value;
        if value.trim().is_empty() {
            self.at(field.offset, name, "must not be empty");
        } else if value.chars().count() > limit {
            self.at(
                field.offset,
                name,
                format!(
                    "is {} characters long; the limit is {limit}",
                    value.chars().count()
                ),
            );
        } else if value
            .chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
        {
            self.at(field.offset, name, "contains control characters");
        }
    }

    fn url(&mut self, field: Option<&Field<String>>, name: &str) {
        let Some(field) = field else { return };
        self.text(Some(field), name, MAX_TEXT_CHARS, false);
        if !is_https_url(&field.value) {
            self.at(
                field.offset,
                name,
                format!(
                    "`{}` is not an https:// URL with a host name",
                    bounded(&field.value)
                ),
            );
        }
    }

    fn range(&mut self, field: Option<&Field<u16>>, name: &str, max: u16, unit: &str) {
        let Some(field) = field else { return };
        if field.value == 0 || field.value > max {
            self.at(
                field.offset,
                name,
                format!("{} {unit} is out of range (1 to {max})", field.value),
            );
        }
    }
}

/// At most 80 characters of `text`, for messages.
fn bounded(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// `https://host[:port][/...]` with a plausible host and no white space.
pub(crate) fn is_https_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        return false;
    };
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && (host.contains('.') || host == "localhost")
}

/// `mailto:local@domain.tld` with no white space.
pub(crate) fn is_mailto(text: &str) -> bool {
    let Some(address) = text.strip_prefix("mailto:") else {
        return false;
    };
    let address = address.split('?').next().unwrap_or_default();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Turns a TOML syntax or type error into a diagnostic, naming the field as precisely as the
/// error allows.
fn toml_diagnostic(file: &str, lines: &Lines, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().to_owned();
    let quoted = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned);
    let key = {
        let line = lines.line_text(span.start).trim();
        (!line.starts_with('[') && !line.starts_with('#'))
            .then(|| line.split_once('='))
            .flatten()
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
            .filter(|k| !k.is_empty() && !k.contains(' '))
    };
    let header = lines.header_before(span.start);
    let field = match (quoted.or(key), header) {
        (Some(name), Some(table)) if !name.contains('.') => format!("{table}.{name}"),
        (Some(name), _) => name,
        (None, Some(table)) => table,
        (None, None) => "(document)".to_owned(),
    };
    let (line, column) = lines.line_col(span.start);
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        field,
        message,
    }
}

/// Parses and validates `text`, the declaration file `file`, against `catalog`, judging dates
/// against `today`.
pub(crate) fn parse(
    file: &str,
    text: &str,
    catalog: &Catalog,
    today: Date,
) -> Result<Declaration, DeclarationError> {
    let lines = Lines::new(text);
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_DECLARATION_BYTES {
        return Err(DeclarationError::TooLarge {
            path: file.into(),
            size: u64::try_from(text.len()).unwrap_or(u64::MAX),
            limit: MAX_DECLARATION_BYTES,
        });
    }
    let raw: RawDeclaration = toml::from_str(text)
        .map_err(|error| DeclarationError::Invalid(vec![toml_diagnostic(file, &lines, &error)]))?;
    let mut p = Problems {
        file,
        lines: &lines,
        found: Vec::new(),
    };

    if raw.format.value != FORMAT {
        p.at(
            raw.format.offset,
            "format",
            format!(
                "`{}` is not a format this version reads; expected `{FORMAT}`",
                bounded(&raw.format.value)
            ),
        );
    }

    let meta = &raw.declaration;
    if let Some(issued) = &meta.issued {
        if issued.value.0 > today {
            p.at(
                issued.offset,
                "declaration.issued",
                format!("{} is in the future (today is {today})", issued.value.0),
            );
        }
    }
    if let Some(until) = &meta.valid_until {
        if until.value.0 < today {
            p.at(
                until.offset,
                "declaration.valid_until",
                format!(
                    "the declaration lapsed on {}; it must be in the future (today is {today})",
                    until.value.0
                ),
            );
        }
        if let Some(issued) = &meta.issued {
            if until.value.0 < issued.value.0 {
                p.at(
                    until.offset,
                    "declaration.valid_until",
                    format!("{} is before `issued` ({})", until.value.0, issued.value.0),
                );
            }
        }
    }
    p.text(
        meta.author.as_ref(),
        "declaration.author",
        MAX_TEXT_CHARS,
        false,
    );

    let product = &raw.product;
    for (field, name) in [
        (&product.manufacturer, "product.manufacturer"),
        (&product.model, "product.model"),
        (&product.firmware_version, "product.firmware_version"),
    ] {
        p.text(Some(field), name, MAX_TEXT_CHARS, false);
    }
    p.text(
        product.hardware_revision.as_ref(),
        "product.hardware_revision",
        MAX_TEXT_CHARS,
        false,
    );
    let digest = &product.image_sha256;
    if digest.value.len() != 64 || !digest.value.bytes().all(|b| b.is_ascii_hexdigit()) {
        p.at(
            digest.offset,
            "product.image_sha256",
            format!(
                "`{}` is not a SHA-256 digest (64 hexadecimal digits)",
                bounded(&digest.value)
            ),
        );
    }

    p.url(raw.support.published_at.as_ref(), "support.published_at");

    let disclosure = &raw.disclosure;
    if let Some(contact) = &disclosure.contact {
        p.text(Some(contact), "disclosure.contact", MAX_TEXT_CHARS, false);
        if !is_mailto(&contact.value) && !is_https_url(&contact.value) {
            p.at(
                contact.offset,
                "disclosure.contact",
                format!(
                    "`{}` is neither a mailto: address nor an https:// URL",
                    bounded(&contact.value)
                ),
            );
        }
    }
    p.url(disclosure.policy_url.as_ref(), "disclosure.policy_url");
    p.range(
        disclosure.acknowledgement_days.as_ref(),
        "disclosure.acknowledgement_days",
        MAX_TIMELINE_DAYS,
        "days",
    );
    p.range(
        disclosure.status_update_days.as_ref(),
        "disclosure.status_update_days",
        MAX_TIMELINE_DAYS,
        "days",
    );
    p.text(
        disclosure.security_txt.as_ref(),
        "disclosure.security_txt",
        MAX_SECURITY_TXT_CHARS,
        true,
    );

    p.url(raw.transparency.sbom_url.as_ref(), "transparency.sbom_url");
    p.url(
        raw.transparency.advisories_url.as_ref(),
        "transparency.advisories_url",
    );

    let updates = &raw.updates;
    p.range(
        updates.check_interval_hours.as_ref(),
        "updates.check_interval_hours",
        MAX_CHECK_INTERVAL_HOURS,
        "hours",
    );
    p.range(
        updates.max_deferral_days.as_ref(),
        "updates.max_deferral_days",
        MAX_TIMELINE_DAYS,
        "days",
    );
    p.text(
        updates.notification.as_ref(),
        "updates.notification",
        MAX_TEXT_CHARS,
        true,
    );
    p.text(
        updates.admin_control.as_ref(),
        "updates.admin_control",
        MAX_TEXT_CHARS,
        true,
    );
    p.text(
        raw.credentials.description.as_ref(),
        "credentials.description",
        MAX_TEXT_CHARS,
        true,
    );
    p.text(
        raw.hardware.physical_threats.as_ref(),
        "hardware.physical_threats",
        MAX_TEXT_CHARS,
        true,
    );
    p.text(
        raw.logging.retention.as_ref(),
        "logging.retention",
        MAX_TEXT_CHARS,
        true,
    );
    p.text(
        raw.recovery.mechanisms.as_ref(),
        "recovery.mechanisms",
        MAX_TEXT_CHARS,
        true,
    );
    p.url(
        raw.recovery.procedure_url.as_ref(),
        "recovery.procedure_url",
    );
    let docs = &raw.documentation;
    for (field, name) in [
        (&docs.deployment_guide, "documentation.deployment_guide"),
        (
            &docs.network_requirements,
            "documentation.network_requirements",
        ),
        (
            &docs.installation_verification,
            "documentation.installation_verification",
        ),
        (&docs.asset_inventory, "documentation.asset_inventory"),
        (&docs.hardening_guide, "documentation.hardening_guide"),
    ] {
        p.url(field.as_ref(), name);
    }

    let mut claims = BTreeMap::new();
    for claim in raw.claim {
        let id = &claim.requirement;
        let known = catalog.requirement(&id.value).is_some();
        if !known {
            p.at(
                id.offset,
                "claim.requirement",
                format!(
                    "`{}` is not a requirement of catalogue {} {} (ids look like ECD-1.7; \
                     `hallmark catalog` lists them)",
                    bounded(&id.value),
                    catalog.edition.id,
                    catalog.edition.version
                ),
            );
        }
        let needs_reason = matches!(
            claim.status.value,
            ClaimStatus::NotSupported | ClaimStatus::NotApplicable
        );
        match &claim.justification {
            None if needs_reason => p.at(
                claim.status.offset,
                "claim.justification",
                format!(
                    "a `{}` claim for {} needs a justification",
                    claim.status.value.as_str(),
                    bounded(&id.value)
                ),
            ),
            _ => p.text(
                claim.justification.as_ref(),
                "claim.justification",
                MAX_TEXT_CHARS,
                true,
            ),
        }
        if claim.evidence.len() > MAX_EVIDENCE_REFS {
            p.at(
                id.offset,
                "claim.evidence",
                format!(
                    "{} evidence references; the limit is {MAX_EVIDENCE_REFS}",
                    claim.evidence.len()
                ),
            );
        }
        for reference in &claim.evidence {
            let r = &reference.value;
            if r.document.is_none() && r.url.is_none() {
                p.at(
                    reference.offset,
                    "claim.evidence",
                    "an evidence reference needs a `document` or a `url`",
                );
            }
            p.text(
                r.document.as_ref(),
                "claim.evidence.document",
                MAX_TEXT_CHARS,
                false,
            );
            p.url(r.url.as_ref(), "claim.evidence.url");
            p.text(
                r.section.as_ref(),
                "claim.evidence.section",
                MAX_TEXT_CHARS,
                false,
            );
        }
        if known {
            if let Some(previous) = claims.get(&id.value) {
                let previous: &crate::Claim = previous;
                let (line, _) = lines.line_col(previous.requirement.offset);
                p.at(
                    id.offset,
                    "claim.requirement",
                    format!("{} is claimed twice (first on line {line})", id.value),
                );
                continue;
            }
            claims.insert(id.value.clone(), claim);
        }
    }

    if !p.found.is_empty() {
        return Err(DeclarationError::Invalid(p.found));
    }
    let mut product = raw.product;
    product.image_sha256.value = product.image_sha256.value.to_ascii_lowercase();
    Ok(Declaration {
        path: file.to_owned(),
        lines,
        meta: raw.declaration,
        product,
        support: raw.support,
        disclosure: raw.disclosure,
        transparency: raw.transparency,
        updates: raw.updates,
        credentials: raw.credentials,
        hardware: raw.hardware,
        logging: raw.logging,
        recovery: raw.recovery,
        documentation: raw.documentation,
        claims,
    })
}

/// The `Expires:` date of a security.txt (RFC 9116), when it has one that parses.
pub(crate) fn security_txt_expiry(text: &str) -> Option<Date> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("expires") {
            return None;
        }
        Date::parse(value.trim().get(..10)?)
    })
}

/// Whether a security.txt names at least one `Contact:`.
pub(crate) fn security_txt_has_contact(text: &str) -> bool {
    text.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("contact") && !value.trim().is_empty()
        })
    })
}

impl DeclaredDate {
    /// The date.
    pub fn date(self) -> Date {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_addresses() {
        for good in [
            "https://example.com",
            "https://example.com/security/policy#contact",
            "https://security.example.co.uk:8443/report?x=1",
            "https://localhost/",
        ] {
            assert!(is_https_url(good), "{good}");
        }
        for bad in [
            "http://example.com",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://-bad.com",
            "https://nodot",
            "ftp://example.com",
            "example.com",
            "https://ex\u{0}ample.com",
        ] {
            assert!(!is_https_url(bad), "{bad}");
        }
        assert!(is_mailto("mailto:security@example.com"));
        assert!(is_mailto("mailto:psirt@example.co.uk?subject=report"));
        for bad in [
            "security@example.com",
            "mailto:@example.com",
            "mailto:security@example",
            "mailto:sec urity@example.com",
            "mailto:security@.com",
        ] {
            assert!(!is_mailto(bad), "{bad}");
        }
    }

    #[test]
    fn security_txt_fields() {
        let text =
            "# comment\nContact: mailto:security@example.com\nExpires: 2031-01-01T00:00:00.000Z\n";
        assert_eq!(security_txt_expiry(text), Date::parse("2031-01-01"));
        assert!(security_txt_has_contact(text));
        assert!(!security_txt_has_contact("Expires: 2031-01-01T00:00:00Z"));
        assert_eq!(security_txt_expiry("Contact: x"), None);
        assert_eq!(
            security_txt_expiry("Expires: é"),
            None,
            "no panic on short text"
        );
    }

    #[test]
    fn lines_and_columns() {
        let lines = Lines::new("a = 1\nbé = 2\n");
        assert_eq!(lines.line_col(0), (1, 1));
        assert_eq!(lines.line_col(6), (2, 1));
        assert_eq!(lines.line_col(10), (2, 4));
        assert_eq!(lines.line_col(999), (3, 1));
    }
}
