//! Web request handlers: CGI programs and page scripts, and whether any of them passes request
//! input to a command interpreter (command injection, CWE-78).
//!
//! Handlers are the files under a `cgi-bin` directory, files named `*.cgi`, and `*.sh`,
//! `*.php` and `*.lua` files under a web root (`/www`, `/htdocs`, `/var/www`, `/usr/www`,
//! `/home/httpd`, `/web`). A script handler is read line by line, following request input
//! through variable assignments to an interpreter:
//!
//! | language | request input | passes through | interpreter |
//! |---|---|---|---|
//! | shell | `QUERY_STRING`, `REQUEST_URI`, `PATH_INFO`, `HTTP_*` headers, haserl's `FORM_*`, `GET_*`, `POST_*`, `COOKIE_*`; variables `read` from standard input (the request body) | assignments whose value uses tainted input (also inside `$(...)` and backticks), `for` loops over it | `eval`, `sh -c` (and `bash`, `ash`, `dash`), a tainted variable as the command name |
//! | PHP | `$_GET`, `$_POST`, `$_REQUEST`, `$_COOKIE`, `$_SERVER`, `$_FILES` | `$x = ...` | `system`, `exec`, `shell_exec`, `passthru`, `popen`, `proc_open`, `pcntl_exec`, backticks |
//! | Lua | `os.getenv` of a CGI variable, `formvalue`, `http.getenv`, `http.content`, reads of standard input | `local x = ...`, `x = ...` | `os.execute`, `io.popen`, `luci.sys.exec`, `luci.sys.call`, `nixio.exec` |
//!
//! A shell value piped through a keep-only filter (`tr -cd` / `tr -dc`) is clean from there on;
//! in PHP, a sink line that wraps the input in `escapeshellarg`/`escapeshellcmd` (and an
//! assignment through them, `intval` or `filter_var`) is clean.
//!
//! This is a line-based taint analysis, not a parser: a flow through a function's parameters
//! is not followed, and a handler that checks the input with a `case` pattern before `eval`
//! is still reported (the finding shows the line, for a reviewer to judge). Compiled handlers
//! (ELF programs in `cgi-bin`) and scripts in other languages are not analysed: they are
//! counted in the coverage notes, which makes the coverage partial.

use std::collections::BTreeMap;

use hallmark_model::facts::{CommandInjection, Coverage, Facts};

use crate::shell;
use crate::{Collector, File, Image, Options, coverage};

/// Records [`CommandInjection`] facts.
pub(crate) struct WebCollector;

/// Directories web servers serve from.
const WEB_ROOTS: &[&str] = &[
    "/www/",
    "/htdocs/",
    "/var/www/",
    "/usr/www/",
    "/home/httpd/",
    "/web/",
];

/// Largest handler read.
const MAX_HANDLER_BYTES: usize = 512 * 1024;

/// Most findings recorded per handler.
const MAX_PER_FILE: usize = 20;

/// Longest excerpt kept of a line.
const MAX_EXCERPT: usize = 160;

impl Collector for WebCollector {
    fn id(&self) -> &'static str {
        "web"
    }

    fn description(&self) -> &'static str {
        "web request handlers (CGI and page scripts in shell, PHP, Lua) that pass request input to a command interpreter"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut compiled = Vec::new();
        let mut other = Vec::new();
        for file in image.files() {
            let path = image.rootfs_path(&file);
            if !is_handler(path) {
                continue;
            }
            let bytes = file.bytes();
            if bytes.starts_with(b"\x7fELF") {
                compiled.push(path.to_owned());
                continue;
            }
            let Some(text) = file.text() else { continue };
            if text.len() > MAX_HANDLER_BYTES {
                other.push(format!("{path} (larger than {MAX_HANDLER_BYTES} bytes)"));
                continue;
            }
            let Some(language) = language(path, text) else {
                if text.starts_with("#!") {
                    other.push(path.to_owned());
                }
                continue;
            };
            examined = examined.saturating_add(1);
            let flows = match language {
                Language::Shell => shell_flows(text),
                Language::Php => php_flows(text),
                Language::Lua => lua_flows(text),
            };
            record(facts, &file, language, flows);
        }
        let mut notes = Vec::new();
        if !compiled.is_empty() {
            notes.push(format!(
                "{} compiled CGI programs were not analysed: {}",
                compiled.len(),
                sample(&compiled)
            ));
        }
        if !other.is_empty() {
            notes.push(format!(
                "{} handler scripts in other languages, or too large, were not analysed: {}",
                other.len(),
                sample(&other)
            ));
        }
        coverage(image, examined, notes)
    }
}

fn sample(paths: &[String]) -> String {
    let mut s = paths
        .iter()
        .take(5)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > 5 {
        s.push_str(", ...");
    }
    s
}

fn is_handler(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    path.contains("/cgi-bin/")
        || name.ends_with(".cgi")
        || (WEB_ROOTS.iter().any(|root| path.contains(root))
            && [".sh", ".php", ".lua"]
                .iter()
                .any(|ext| name.ends_with(ext)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Shell,
    Php,
    Lua,
}

impl Language {
    fn name(self) -> &'static str {
        match self {
            Language::Shell => "shell",
            Language::Php => "php",
            Language::Lua => "lua",
        }
    }
}

fn language(path: &str, text: &str) -> Option<Language> {
    if let Some(shebang) = text.lines().next().and_then(|l| l.strip_prefix("#!")) {
        let interpreter = shebang.trim();
        let program = interpreter
            .split_whitespace()
            .find(|w| !w.ends_with("/env") && *w != "env")
            .map(shell::basename)
            .unwrap_or("");
        return match program {
            "sh" | "bash" | "ash" | "dash" | "ksh" | "haserl" | "busybox" => Some(Language::Shell),
            p if p.starts_with("php") => Some(Language::Php),
            p if p.starts_with("lua") => Some(Language::Lua),
            _ => None,
        };
    }
    if path.ends_with(".php") || text.trim_start().starts_with("<?php") {
        Some(Language::Php)
    } else if path.ends_with(".lua") {
        Some(Language::Lua)
    } else if path.ends_with(".sh") {
        Some(Language::Shell)
    } else {
        None
    }
}

/// One flow from request input to an interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flow {
    line: usize,
    input: String,
    via: Vec<String>,
    sink: String,
    excerpt: String,
}

impl Flow {
    fn new(line: usize, taint: Taint, sink: String, text: &str) -> Flow {
        Flow {
            line,
            input: taint.input,
            via: taint.via,
            sink,
            excerpt: excerpt(text),
        }
    }
}

fn record(facts: &mut Facts, file: &File<'_>, language: Language, flows: Vec<Flow>) {
    for flow in flows.into_iter().take(MAX_PER_FILE) {
        facts.injections.push(CommandInjection {
            language: language.name().to_owned(),
            input: flow.input,
            via: flow.via,
            sink: flow.sink,
            excerpt: flow.excerpt,
            location: file.line(flow.line),
        });
    }
}

/// Where a tainted variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Taint {
    input: String,
    via: Vec<String>,
}

/// Logical lines (1-based number of the first physical line), comments removed, with
/// backslash continuations joined.
fn logical_lines(text: &str, comment: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw, comment);
        let (start, mut joined) = pending
            .take()
            .unwrap_or((i.saturating_add(1), String::new()));
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            joined.push(' ');
            pending = Some((start, joined));
            continue;
        }
        joined.push_str(line);
        out.push((start, joined));
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

/// `line` up to a comment marker that is outside quotes and starts a word (for `#`).
fn strip_comment<'l>(line: &'l str, marker: &str) -> &'l str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q && previous != '\\' => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if line.get(i..).is_some_and(|rest| rest.starts_with(marker))
                && (marker != "#" || previous.is_whitespace() || i == 0) =>
            {
                return line.get(..i).unwrap_or(line);
            }
            None => {}
        }
        previous = c;
    }
    line
}

fn excerpt(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(MAX_EXCERPT) {
        Some((cut, _)) => format!("{}...", line.get(..cut).unwrap_or(line)),
        None => line.to_owned(),
    }
}

/// The names of the shell variables `text` expands (`$NAME`, `${NAME...}`).
fn shell_refs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find('$')) {
        let mut start = i.saturating_add(offset).saturating_add(1);
        if bytes.get(start) == Some(&b'{') {
            start = start.saturating_add(1);
        }
        let mut end = start;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            end = end.saturating_add(1);
        }
        if end > start
            && let Some(name) = text.get(start..end)
        {
            out.push(name);
        }
        i = end.max(start);
    }
    out
}

/// Whether a shell variable name is request input in a CGI handler.
fn is_shell_input(name: &str) -> bool {
    matches!(
        name,
        "QUERY_STRING" | "REQUEST_URI" | "PATH_INFO" | "PATH_TRANSLATED" | "SCRIPT_URL"
    ) || ["HTTP_", "FORM_", "GET_", "POST_", "COOKIE_"]
        .iter()
        .any(|p| name.starts_with(p) && name.len() > p.len())
}

/// The first tainted reference in `text`, if any.
fn shell_taint(text: &str, tainted: &BTreeMap<String, Taint>) -> Option<Taint> {
    for name in shell_refs(text) {
        if let Some(t) = tainted.get(name) {
            return Some(t.clone());
        }
        if is_shell_input(name) {
            return Some(Taint {
                input: name.to_owned(),
                via: Vec::new(),
            });
        }
    }
    None
}

/// Whether a shell value is filtered down to safe characters (`tr -cd` / `tr -dc`).
fn shell_sanitised(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    words.windows(2).any(|w| {
        matches!(w, [a, b] if a.ends_with("tr") && (b.starts_with("-cd") || b.starts_with("-dc") || *b == "-c"))
    })
}

fn is_shell_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

fn shell_flows(text: &str) -> Vec<Flow> {
    let lines = logical_lines(text, "#");
    let mut tainted: BTreeMap<String, Taint> = BTreeMap::new();
    // Assignments first, twice, so that a function defined above its inputs still sees them.
    for _ in 0..2 {
        for (_, line) in &lines {
            for statement in line.split([';', '&', '|']).map(str::trim) {
                shell_assignment(statement, line, &mut tainted);
            }
        }
    }
    let mut flows = Vec::new();
    for (number, line) in &lines {
        for command in shell::commands(line) {
            let program = shell::basename(command.program());
            let args = command.args();
            let sink = if program == "eval" {
                args.iter()
                    .find_map(|a| shell_taint(a, &tainted))
                    .map(|t| ("eval".to_owned(), t))
            } else if matches!(program, "sh" | "bash" | "ash" | "dash" | "ksh") {
                args.iter()
                    .position(|a| a == "-c")
                    .and_then(|c| args.get(c.saturating_add(1)))
                    .and_then(|script| shell_taint(script, &tainted))
                    .map(|t| (format!("{program} -c"), t))
            } else if command.program().starts_with('$') {
                shell_taint(command.program(), &tainted).map(|t| ("the command name".to_owned(), t))
            } else {
                None
            };
            if let Some((sink, taint)) = sink {
                flows.push(Flow::new(*number, taint, sink, line));
                break;
            }
        }
    }
    flows
}

/// Taints (or cleans) the variable a statement assigns: `NAME=value`, `export NAME=value`,
/// `local NAME=value`, `read [-r] [-n N] NAME...`, `for NAME in value`.
fn shell_assignment(statement: &str, whole_line: &str, tainted: &mut BTreeMap<String, Taint>) {
    let statement = statement
        .trim_start_matches("export ")
        .trim_start_matches("local ")
        .trim_start_matches("readonly ")
        .trim();
    let mut words = statement.split_whitespace();
    match words.next() {
        Some("read") => {
            // Standard input of a CGI handler is the request body.
            for name in words.filter(|w| is_shell_name(w)) {
                tainted.insert(
                    name.to_owned(),
                    Taint {
                        input: "request body (standard input)".to_owned(),
                        via: Vec::new(),
                    },
                );
            }
            return;
        }
        Some("for") => {
            if let (Some(name), Some("in")) = (words.next(), words.next())
                && is_shell_name(name)
            {
                let value: Vec<&str> = words.collect();
                taint_name(name, &value.join(" "), whole_line, tainted);
            }
            return;
        }
        _ => {}
    }
    let Some((name, _)) = statement.split_once('=') else {
        return;
    };
    if !is_shell_name(name) {
        return;
    }
    // The value runs to the end of the line: `x=$(echo "$Q" | sed ...)` spans separators.
    let value = whole_line
        .find(&format!("{name}="))
        .and_then(|at| whole_line.get(at.saturating_add(name.len()).saturating_add(1)..))
        .unwrap_or("");
    taint_name(name, value, whole_line, tainted);
}

fn taint_name(name: &str, value: &str, _line: &str, tainted: &mut BTreeMap<String, Taint>) {
    if is_shell_input(name) {
        return;
    }
    match shell_taint(value, tainted) {
        Some(mut taint) if !shell_sanitised(value) => {
            if !taint.via.iter().any(|v| v == name) {
                taint.via.push(name.to_owned());
            }
            tainted.insert(name.to_owned(), taint);
        }
        Some(_) => {
            tainted.remove(name);
        }
        None => {}
    }
}

/// What an assignment makes of the variable it assigns.
enum Assigned {
    /// Request input reaches it.
    Tainted(Taint),
    /// It is cleaned (escaped or converted) on the way.
    Clean,
    /// Nothing known to come from the request.
    Unknown,
}

/// The tainted variables of a PHP or Lua handler: `split` takes a line apart into the variable
/// assigned and the value (`None` for other lines; `==` comparisons are skipped), `judge` says
/// what the value makes of it. Two passes, so that a use above an assignment still sees it.
fn assignments<'l>(
    lines: &'l [(usize, String)],
    split: impl Fn(&'l str) -> Option<(&'l str, &'l str)>,
    judge: impl Fn(&str, &BTreeMap<String, Taint>) -> Assigned,
) -> BTreeMap<String, Taint> {
    let mut tainted: BTreeMap<String, Taint> = BTreeMap::new();
    for _ in 0..2 {
        for (_, line) in lines {
            let Some((name, value)) = split(line) else {
                continue;
            };
            if value.starts_with('=') {
                continue;
            }
            match judge(value, &tainted) {
                Assigned::Tainted(mut taint) => {
                    if !taint.via.iter().any(|v| v == name) {
                        taint.via.push(name.to_owned());
                    }
                    tainted.insert(name.to_owned(), taint);
                }
                Assigned::Clean => {
                    tainted.remove(name);
                }
                Assigned::Unknown => {}
            }
        }
    }
    tainted
}

/// PHP's request superglobals.
const PHP_INPUTS: &[&str] = &[
    "$_GET",
    "$_POST",
    "$_REQUEST",
    "$_COOKIE",
    "$_SERVER",
    "$_FILES",
];

/// PHP functions that run a command line.
const PHP_SINKS: &[&str] = &[
    "system",
    "exec",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "pcntl_exec",
];

/// Calls that make a value safe for a command line, or not a string at all.
const PHP_CLEANERS: &[&str] = &["escapeshellarg", "escapeshellcmd", "intval", "filter_var"];

/// Whether `line` calls function `name` (not as a method, not as part of a longer name).
fn calls(line: &str, name: &str) -> bool {
    let mut from = 0usize;
    while let Some(at) = line.get(from..).and_then(|rest| rest.find(name)) {
        let start = from.saturating_add(at);
        let end = start.saturating_add(name.len());
        let before = line.get(..start).and_then(|b| b.chars().next_back());
        let after = line.get(end..).unwrap_or("").trim_start();
        let standalone = before
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '>' | ':' | '$' | '.')));
        if standalone && after.starts_with('(') {
            return true;
        }
        from = end;
    }
    false
}

/// The first tainted PHP reference in `text`.
fn php_taint(text: &str, tainted: &BTreeMap<String, Taint>) -> Option<Taint> {
    if let Some(input) = PHP_INPUTS.iter().find(|i| text.contains(*i)) {
        return Some(Taint {
            input: (*input).to_owned(),
            via: Vec::new(),
        });
    }
    tainted
        .iter()
        .find(|(name, _)| contains_word(text, name))
        .map(|(_, t)| t.clone())
}

/// Whether `text` has `word` not followed by an identifier character (so `$ip` does not
/// match `$ipv6`), and for bare identifiers, not preceded by one either.
fn contains_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0usize;
    while let Some(at) = text.get(from..).and_then(|rest| rest.find(word)) {
        let start = from.saturating_add(at);
        let end = start.saturating_add(word.len());
        let before_ok = word.starts_with('$')
            || text
                .get(..start)
                .and_then(|b| b.chars().next_back())
                .is_none_or(|c| !ident(c) && c != '.');
        let after_ok = text
            .get(end..)
            .and_then(|a| a.chars().next())
            .is_none_or(|c| !ident(c));
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

fn php_flows(text: &str) -> Vec<Flow> {
    let lines = logical_lines(text, "//");
    let tainted = assignments(
        &lines,
        |line| {
            let (lhs, rhs) = line.trim().split_once('=')?;
            let name = lhs.trim();
            (name.starts_with('$') && is_shell_name(name.trim_start_matches('$')))
                .then_some((name, rhs))
        },
        |rhs, tainted| match php_taint(rhs, tainted) {
            Some(_) if PHP_CLEANERS.iter().any(|c| calls(rhs, c)) => Assigned::Clean,
            Some(taint) => Assigned::Tainted(taint),
            None => Assigned::Unknown,
        },
    );
    let mut flows = Vec::new();
    for (number, line) in &lines {
        let sink = PHP_SINKS
            .iter()
            .find(|s| calls(line, s))
            .map(|s| format!("{s}()"))
            .or_else(|| (line.matches('`').count() >= 2).then(|| "backticks".to_owned()));
        let Some(sink) = sink else { continue };
        if PHP_CLEANERS.iter().take(2).any(|c| calls(line, c)) {
            continue;
        }
        if let Some(taint) = php_taint(line, &tainted) {
            flows.push(Flow::new(*number, taint, sink, line));
        }
    }
    flows
}

/// Lua functions that run a command line.
const LUA_SINKS: &[&str] = &[
    "os.execute",
    "io.popen",
    "luci.sys.exec",
    "luci.sys.call",
    "sys.exec",
    "sys.call",
    "nixio.exec",
];

fn lua_input(text: &str) -> Option<String> {
    if text.contains("formvalue(") {
        return Some("form value".to_owned());
    }
    if text.contains("http.content(")
        || text.contains("io.read(")
        || text.contains("io.stdin:read(")
    {
        return Some("request body (standard input)".to_owned());
    }
    for getenv in ["os.getenv(", "http.getenv("] {
        if let Some(at) = text.find(getenv) {
            let arg = text
                .get(at.saturating_add(getenv.len())..)
                .unwrap_or("")
                .trim_start_matches(['"', '\'', ' ']);
            let name: String = arg
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if is_shell_input(&name) {
                return Some(name);
            }
        }
    }
    None
}

fn lua_taint(text: &str, tainted: &BTreeMap<String, Taint>) -> Option<Taint> {
    if let Some(input) = lua_input(text) {
        return Some(Taint {
            input,
            via: Vec::new(),
        });
    }
    tainted
        .iter()
        .find(|(name, _)| contains_word(text, name))
        .map(|(_, t)| t.clone())
}

fn lua_flows(text: &str) -> Vec<Flow> {
    let lines = logical_lines(text, "--");
    let tainted = assignments(
        &lines,
        |line| {
            let (lhs, rhs) = line.trim().trim_start_matches("local ").split_once('=')?;
            let name = lhs.trim();
            is_shell_name(name).then_some((name, rhs))
        },
        |rhs, tainted| lua_taint(rhs, tainted).map_or(Assigned::Unknown, Assigned::Tainted),
    );
    let mut flows = Vec::new();
    for (number, line) in &lines {
        // The first sink call on the line, and what follows it (its arguments).
        let Some((sink, arguments)) = LUA_SINKS.iter().find_map(|s| {
            line.match_indices(*s).find_map(|(at, _)| {
                let before = line.get(..at).and_then(|b| b.chars().next_back());
                let rest = line.get(at.saturating_add(s.len())..)?;
                (before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
                    && rest.trim_start().starts_with('('))
                .then_some((*s, rest))
            })
        }) else {
            continue;
        };
        if let Some(taint) = lua_taint(arguments, &tainted) {
            flows.push(Flow::new(*number, taint, sink.to_owned(), line));
        }
    }
    flows
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_model::facts::CoverageStatus;
    use hallmark_unpack::{Entry, FileTree};

    fn collect(files: &[(&str, &[u8])]) -> Facts {
        let mut tree = FileTree::new();
        tree.add(Entry::dir("/etc"));
        for (path, bytes) in files {
            tree.add(Entry::file(*path, bytes.to_vec()));
        }
        crate::tests::collect_tree(tree, &WebCollector)
    }

    fn found(facts: &Facts) -> Vec<String> {
        facts
            .injections
            .iter()
            .map(|i| {
                let hallmark_model::Location::Image { path, line, .. } = &i.location else {
                    panic!("{:?}", i.location)
                };
                format!(
                    "{} {}:{} {} -> {} via [{}]",
                    i.language,
                    path.as_deref().unwrap_or(""),
                    line.unwrap_or(0),
                    i.input,
                    i.sink,
                    i.via.join(",")
                )
            })
            .collect()
    }

    #[test]
    fn shell_handlers() {
        let facts = collect(&[
            // The router-armhf planted case.
            (
                "/www/cgi-bin/ping.cgi",
                b"#!/bin/sh\necho \"Content-type: text/plain\"; echo\n# unsanitised query string passed to the shell (command injection)\neval \"ping -c 1 $(echo \"$QUERY_STRING\" | sed 's/^ip=//')\"\n",
            ),
            // Through a variable, and the body read from standard input into sh -c.
            (
                "/www/cgi-bin/tools.cgi",
                b"#!/bin/ash\nhost=`echo $QUERY_STRING | cut -d= -f2`\ntarget=\"$host\"\nread -n $CONTENT_LENGTH body\nsh -c \"traceroute $target\"\nbash -c \"logger $body\"\n$FORM_cmd\n",
            ),
            // Clean: a keep-only filter, quoted arguments without eval, comments.
            (
                "/www/cgi-bin/safe.cgi",
                b"#!/bin/sh\nip=$(echo \"$QUERY_STRING\" | sed 's/^ip=//' | tr -cd '0-9.')\neval \"ping -c 1 $ip\"\nping -c 1 \"$QUERY_STRING\"\n# eval \"$QUERY_STRING\"\necho \"$HTTP_USER_AGENT\"\n",
            ),
            // Not a handler: outside the web roots.
            (
                "/usr/bin/helper.sh",
                b"#!/bin/sh\neval \"$QUERY_STRING\"\n",
            ),
        ]);
        assert_eq!(
            found(&facts),
            vec![
                "shell /www/cgi-bin/ping.cgi:4 QUERY_STRING -> eval via []",
                "shell /www/cgi-bin/tools.cgi:5 QUERY_STRING -> sh -c via [host,target]",
                "shell /www/cgi-bin/tools.cgi:6 request body (standard input) -> bash -c via []",
                "shell /www/cgi-bin/tools.cgi:7 FORM_cmd -> the command name via []",
            ]
        );
        let coverage = &facts.coverage["web"];
        assert_eq!(coverage.status, CoverageStatus::Complete);
        assert_eq!(coverage.examined, 3);
        assert!(facts.injections[0].excerpt.starts_with("eval \"ping -c 1"));
    }

    #[test]
    fn php_and_lua_handlers() {
        let facts = collect(&[
            (
                "/var/www/diag.php",
                b"<?php\n$host = $_GET['host'];\n$cmd = \"ping -c1 \" . $host;\nsystem($cmd);\n// system($_GET['x']);\n$ok = escapeshellarg($_POST['h']);\nexec(\"ping \" . $ok);\npassthru(\"nslookup \" . escapeshellarg($host));\n$n = `whoami $_REQUEST[u]`;\ncurl_exec($host);\n$db->exec($host);\n",
            ),
            (
                "/www/cgi-bin/luci-diag.lua",
                b"#!/usr/bin/lua\nlocal addr = luci.http.formvalue(\"addr\")\n-- os.execute(addr)\nlocal q = os.getenv(\"QUERY_STRING\")\nos.execute(\"ping -c 1 \" .. addr)\nlocal f = io.popen(\"nslookup \" .. q)\nlocal home = os.getenv(\"HOME\")\nos.execute(\"ls \" .. home)\n",
            ),
        ]);
        assert_eq!(
            found(&facts),
            vec![
                "php /var/www/diag.php:4 $_GET -> system() via [$host,$cmd]",
                "php /var/www/diag.php:9 $_REQUEST -> backticks via []",
                "lua /www/cgi-bin/luci-diag.lua:5 form value -> os.execute via [addr]",
                "lua /www/cgi-bin/luci-diag.lua:6 QUERY_STRING -> io.popen via [q]",
            ]
        );
    }

    #[test]
    fn compiled_and_unknown_handlers_make_coverage_partial() {
        let facts = collect(&[
            ("/www/cgi-bin/login.cgi", b"\x7fELF\x01\x01\x01rest"),
            (
                "/www/cgi-bin/stats.cgi",
                b"#!/usr/bin/perl\nsystem($ENV{QUERY_STRING});\n",
            ),
        ]);
        assert!(facts.injections.is_empty());
        let coverage = &facts.coverage["web"];
        assert_eq!(coverage.status, CoverageStatus::Partial);
        assert!(
            coverage
                .notes
                .iter()
                .any(|n| n.contains("1 compiled CGI programs"))
        );
        assert!(
            coverage
                .notes
                .iter()
                .any(|n| n.contains("/www/cgi-bin/stats.cgi"))
        );
    }

    #[test]
    fn hostile_text_does_not_panic() {
        for text in [
            "$",
            "${",
            "$(",
            "x=\\",
            "eval",
            "sh -c",
            "read",
            "for",
            "for x",
            "= $_GET",
            "os.execute(",
            "\u{e9}$\u{e9}=\u{e9}",
            "eval \"$\u{e9}\"",
        ] {
            let _ = shell_flows(text);
            let _ = php_flows(text);
            let _ = lua_flows(text);
        }
    }
}
