//! Plain-text helpers: styles, paragraph wrapping, column padding.

use anstyle::{AnsiColor, Effects, Style};

/// Style for headings.
pub const HEADING: Style = Style::new().effects(Effects::BOLD);
/// Style for identifiers.
pub const ID: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
/// Style for de-emphasised text.
pub const DIM: Style = Style::new().effects(Effects::DIMMED);
/// Style for gaps ("not covered").
pub const WARN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
/// Style for the "error:" prefix.
pub const ERROR: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
/// Ends a style.
pub const RESET: anstyle::Reset = anstyle::Reset;

/// Width that text paragraphs are wrapped to.
pub const WIDTH: usize = 96;

/// Style for a severity word.
pub fn severity_style(severity: hallmark_model::Severity) -> Style {
    use hallmark_model::Severity::*;
    let color = match severity {
        Critical => AnsiColor::Red,
        High => AnsiColor::Magenta,
        Medium => AnsiColor::Yellow,
        Low | Info => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(anstyle::Color::Ansi(color)))
}

/// Pads `s` with spaces to `width` characters (never truncates).
pub fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(len)))
}

/// Reflows text: blank lines separate paragraphs; lines starting with `- ` or `* ` start list
/// items, wrapped with a hanging indent; other lines continue the current paragraph or item.
pub fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut blocks: Vec<(bool, String)> = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            in_block = false;
            continue;
        }
        let bullet = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "));
        match (bullet, blocks.last_mut()) {
            (Some(item), _) => blocks.push((true, item.trim().to_string())),
            (None, Some((_, current))) if in_block => {
                current.push(' ');
                current.push_str(trimmed);
            }
            (None, _) => blocks.push((false, trimmed.to_string())),
        }
        in_block = true;
    }
    let margin = " ".repeat(indent);
    let mut out = String::new();
    let mut previous_bullet = None;
    for (bullet, body) in blocks {
        // A blank line between paragraphs, none between consecutive list items.
        if previous_bullet.is_some() && !(bullet && previous_bullet == Some(true)) {
            out.push('\n');
        }
        let (first, rest) = if bullet {
            (format!("{margin}- "), format!("{margin}  "))
        } else {
            (margin.clone(), margin.clone())
        };
        fill(&body, &first, &rest, width, &mut out);
        previous_bullet = Some(bullet);
    }
    out
}

fn fill(body: &str, first: &str, rest: &str, width: usize, out: &mut String) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in body.split_whitespace() {
        let len = line.chars().count();
        if !empty && len.saturating_add(1).saturating_add(word.chars().count()) > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_paragraphs_and_bullets() {
        let text =
            "First paragraph is\nlong enough.\n\n- one item that wraps around\n- two\nAfter.";
        let wrapped = wrap(text, 2, 20);
        assert_eq!(
            wrapped,
            "  First paragraph is\n  long enough.\n\n  - one item that\n    wraps around\n  - two After.\n"
        );
    }

    #[test]
    fn pads_by_characters() {
        assert_eq!(pad("é", 3), "é  ");
        assert_eq!(pad("long", 2), "long");
    }
}
