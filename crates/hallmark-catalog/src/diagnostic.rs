//! Errors that name the file, line, column and field.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// One problem in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as given (or the built-in file's path).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The field at fault, e.g. `requirement[ECD-2.1].crosswalk.cra`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: field `{}`: {}",
            self.file, self.line, self.column, self.field, self.message
        )
    }
}

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("cannot read catalogue file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than any sane catalogue.
    #[error("catalogue file {path} is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The content is invalid; every problem found is listed.
    #[error("invalid catalogue ({} problem{}):\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A named source text, able to turn byte offsets into line and column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// 1-based line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let before = self.text.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count().saturating_add(1);
        let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
        let column = before
            .get(line_start..)
            .unwrap_or_default()
            .chars()
            .count()
            .saturating_add(1);
        (line, column)
    }

    pub fn diagnostic(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(span.start);
        Diagnostic {
            file: self.name.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Turns a TOML syntax or type error into a diagnostic, naming the field as best the error
    /// allows: the field quoted in the message (unknown or missing field), else the key on the
    /// line the error points at, else the nearest table header above it.
    pub fn diagnose_toml_error(&self, error: &toml::de::Error) -> Diagnostic {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().to_string();
        let field = quoted_field(&message)
            .or_else(|| self.key_at(span.start))
            .or_else(|| self.header_before(span.start))
            .unwrap_or_else(|| "(document)".to_string());
        self.diagnostic(span, field, message)
    }

    fn line_text(&self, offset: usize) -> &str {
        let offset = offset.min(self.text.len());
        let start = self
            .text
            .get(..offset)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i.saturating_add(1));
        let rest = self.text.get(start..).unwrap_or_default();
        rest.split('\n').next().unwrap_or_default()
    }

    fn key_at(&self, offset: usize) -> Option<String> {
        let line = self.line_text(offset).trim();
        if line.starts_with('[') || line.starts_with('#') {
            return None;
        }
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
    }

    fn header_before(&self, offset: usize) -> Option<String> {
        let before = self.text.get(..offset.min(self.text.len()))?;
        before
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|l| l.trim_matches(|c| c == '[' || c == ']').to_string())
    }
}

/// Extracts `name` from messages such as "missing field `name`" or "unknown field `name`".
fn quoted_field(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    let end = rest.find('`')?;
    rest.get(..end).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = Source {
            name: "x.toml",
            text: "a = 1\nbé = 2\nc = 3",
        };
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(6), (2, 1));
        // Column counts characters, not bytes: `=` follows a two-byte é.
        assert_eq!(src.line_col(10), (2, 4));
        assert_eq!(
            src.line_col(10_000),
            (3, 6),
            "offsets past the end are clamped"
        );
    }
}
