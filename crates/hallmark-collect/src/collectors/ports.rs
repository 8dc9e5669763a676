//! Physical ports: what the device does on its own when removable media or a USB host is
//! attached.
//!
//! Hotplug configuration read (each counts as examined): udev rules (`/etc/udev/rules.d`,
//! `/lib/udev/rules.d`, `/usr/lib/udev/rules.d`: `RUN` and `PROGRAM` keys), `/etc/mdev.conf`
//! (`@`, `$` and `*` commands), hotplug2 rules (`exec`), procd `/etc/hotplug*.json` (`exec`),
//! hotplug scripts (`/etc/hotplug.d/`, `/etc/hotplug/`, `/sbin/hotplug`), and automount
//! scripts (`/etc/usbmount/`, `/etc/mdev/`, files named like `automount`, `usbmount`).
//!
//! Start-up scripts (inittab, `/etc/init.d`, `/etc/rc.d`, `rc.local`, systemd units) are read
//! too, and every shell script these sources run is followed (three calls deep). In each
//! script, values that name removable media (`/media/`, `/mnt/usb`, `/mnt/sda1`, `/tmp/usb`,
//! `$MNT/autorun.sh`, the target of mounting `/dev/sd*`) are followed through variable
//! assignments; a [`PortHandler`] is recorded when such a value is
//! - run as a program, or by a shell (`sh`, `.`), or loaded as a kernel module
//!   (`media-exec`);
//! - handed to a firmware writer (`sysupgrade`, `mtd write`, `flashcp`, `dd of=/dev/mtd*`) or
//!   a package installer (`opkg install`, `dpkg -i`) (`media-install`).
//!
//! USB gadget functions enabled at boot (`usb-gadget`): serial and Ethernet gadget modules
//! (`g_serial`, `g_cdc`, `g_ether`, `g_multi`, `g_acm_ms`, `g_ncm`, `g_nokia`) loaded by a
//! start-up script or listed in a boot module list (`/etc/modules`, `/etc/modules.d/`,
//! `/etc/modules-boot.d/`, `modules-load.d`); configfs gadget functions created by a
//! start-up script (`functions/acm.*`, `gser`, `ecm`, `eem`, `ncm`, `rndis`, `subset`); a
//! login or shell on the gadget serial port `ttyGS*` (inittab, `serial-getty@ttyGS0`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hallmark_model::facts::{Coverage, Facts, PortHandler};

use crate::shell::{self, Command};
use crate::{Collector, File, Image, Options, coverage};

/// Records [`PortHandler`] facts.
pub(crate) struct PortsCollector;

/// Scripts larger than this are not read.
const MAX_SCRIPT_BYTES: usize = 512 * 1024;
/// Calls followed from a hotplug rule or start-up script.
const MAX_DEPTH: usize = 3;
/// Scripts analysed at most (a budget against pathological trees).
const MAX_SCRIPTS: usize = 4000;
/// Longest excerpt kept.
const EXCERPT_MAX: usize = 160;

/// Serial and Ethernet USB gadget modules.
const GADGET_MODULES: &[&str] = &[
    "g_serial", "g_cdc", "g_ether", "g_multi", "g_acm_ms", "g_ncm", "g_nokia",
];
/// Serial and network configfs gadget functions.
const GADGET_FUNCTIONS: &[&str] = &["acm", "gser", "ecm", "eem", "ncm", "rndis", "subset"];
/// Programs that write firmware images.
const FLASHERS: &[&str] = &[
    "sysupgrade",
    "mtd",
    "flashcp",
    "nandwrite",
    "fw_upgrade",
    "firmware_upgrade",
    "swupdate",
    "rauc",
];
/// Path fragments that name removable media.
const MEDIA: &[&str] = &[
    "/media/",
    "/run/media",
    "/mnt/usb",
    "/mnt/sd",
    "/mnt/mmc",
    "/mnt/disk",
    "/mnt/udisk",
    "/mnt/$",
    "/tmp/usb",
    "/tmp/mnt/",
    "/tmp/sd",
    "/var/usb",
    "/usb/",
];

impl Collector for PortsCollector {
    fn id(&self) -> &'static str {
        "ports"
    }

    fn description(&self) -> &'static str {
        "hotplug, udev, mdev and automount handlers and start-up scripts that run or install content from removable media; USB gadget serial and Ethernet functions enabled at boot"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut queue: VecDeque<(File<'_>, Trigger, usize)> = VecDeque::new();
        let mut scripts: Vec<(File<'_>, Trigger, usize)> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut rule_calls: Vec<(String, Trigger)> = Vec::new();
        let scripts_by_path = script_index(image);
        for file in image.nodes() {
            let path = image.rootfs_path(&file);
            // systemd: a getty enabled on the gadget serial port.
            if path.contains("getty.target.wants/") && file.name().contains("ttyGS") {
                push(
                    facts,
                    "usb-gadget",
                    "boot",
                    file.name(),
                    "a login on the USB gadget serial port is enabled",
                    file.location(),
                );
            }
            if !file.is_file() {
                continue;
            }
            let Some(source) = classify(path) else {
                continue;
            };
            let Some(text) = file.text().filter(|t| t.len() <= MAX_SCRIPT_BYTES) else {
                continue;
            };
            if source.hotplug() {
                examined = examined.saturating_add(1);
            }
            let (trigger, calls) = match source {
                Source::Udev => (
                    Trigger::Udev,
                    rules(&file, text, Trigger::Udev, udev_commands, facts),
                ),
                Source::Mdev => (
                    Trigger::Mdev,
                    rules(&file, text, Trigger::Mdev, mdev_command, facts),
                ),
                Source::Hotplug2 => (
                    Trigger::Hotplug2,
                    rules(&file, text, Trigger::Hotplug2, hotplug2_command, facts),
                ),
                Source::ProcdJson => (
                    Trigger::Procd,
                    rules(&file, text, Trigger::Procd, json_exec, facts),
                ),
                Source::Modules => {
                    modules(&file, text, facts);
                    continue;
                }
                Source::Inittab => {
                    inittab(&file, text, facts);
                    continue;
                }
                Source::Script(trigger) => {
                    scripts.push((file, trigger, 0));
                    continue;
                }
            };
            rule_calls.extend(calls.into_iter().map(|c| (c, trigger)));
        }
        // Scripts a rule runs are analysed first, so that they are reported with the rule's
        // trigger.
        for (program, trigger) in rule_calls {
            for callee in resolve(&scripts_by_path, &program) {
                queue.push_back((callee, trigger, 1));
            }
        }
        queue.extend(scripts);
        let mut analysed = 0usize;
        let mut notes = Vec::new();
        while let Some((file, trigger, depth)) = queue.pop_front() {
            if !seen.insert(file.path().to_owned()) {
                continue;
            }
            if analysed >= MAX_SCRIPTS {
                notes.push(format!(
                    "only the first {MAX_SCRIPTS} scripts were analysed"
                ));
                break;
            }
            analysed = analysed.saturating_add(1);
            let Some(text) = file.text().filter(|t| t.len() <= MAX_SCRIPT_BYTES) else {
                continue;
            };
            let calls = script(&file, text, trigger, facts);
            if depth >= MAX_DEPTH {
                continue;
            }
            for program in calls {
                for callee in resolve(&scripts_by_path, &program) {
                    queue.push_back((callee, trigger, depth.saturating_add(1)));
                }
            }
        }
        coverage(image, examined, notes)
    }
}

/// What runs a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Udev,
    Mdev,
    Hotplug,
    Hotplug2,
    Procd,
    Automount,
    Boot,
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Trigger::Udev => "udev",
            Trigger::Mdev => "mdev",
            Trigger::Hotplug => "hotplug",
            Trigger::Hotplug2 => "hotplug2",
            Trigger::Procd => "procd",
            Trigger::Automount => "automount",
            Trigger::Boot => "boot",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Udev,
    Mdev,
    Hotplug2,
    ProcdJson,
    Modules,
    Inittab,
    Script(Trigger),
}

impl Source {
    /// Whether it is hotplug configuration (what the check needs to have seen).
    fn hotplug(self) -> bool {
        match self {
            Source::Udev | Source::Mdev | Source::Hotplug2 | Source::ProcdJson => true,
            Source::Script(trigger) => trigger != Trigger::Boot,
            Source::Modules | Source::Inittab => false,
        }
    }
}

fn classify(path: &str) -> Option<Source> {
    let name = shell::basename(path);
    let under = |dir: &str| path.starts_with(dir);
    Some(match path {
        "/etc/mdev.conf" => Source::Mdev,
        "/etc/inittab" => Source::Inittab,
        "/etc/modules" => Source::Modules,
        "/etc/hotplug.json" | "/etc/hotplug-preinit.json" => Source::ProcdJson,
        "/sbin/hotplug" | "/etc/hotplug.sh" => Source::Script(Trigger::Hotplug),
        "/etc/rc.local" | "/etc/rcS" | "/etc/rc" | "/init" | "/linuxrc" => {
            Source::Script(Trigger::Boot)
        }
        _ if (under("/etc/udev/rules.d/")
            || under("/lib/udev/rules.d/")
            || under("/usr/lib/udev/rules.d/"))
            && name.ends_with(".rules") =>
        {
            Source::Udev
        }
        _ if under("/etc/") && name.starts_with("hotplug2") && name.ends_with(".rules") => {
            Source::Hotplug2
        }
        _ if under("/etc/modules.d/")
            || under("/etc/modules-boot.d/")
            || ((under("/etc/modules-load.d/")
                || under("/lib/modules-load.d/")
                || under("/usr/lib/modules-load.d/"))
                && name.ends_with(".conf")) =>
        {
            Source::Modules
        }
        _ if under("/etc/hotplug.d/") || under("/etc/hotplug/") => Source::Script(Trigger::Hotplug),
        _ if under("/etc/usbmount/")
            || under("/etc/mdev/")
            || under("/lib/mdev/")
            || ((under("/etc/") || under("/sbin/") || under("/usr/") || under("/lib/"))
                && (name.contains("automount")
                    || name.contains("usbmount")
                    || name.contains("automnt"))) =>
        {
            Source::Script(Trigger::Automount)
        }
        _ if under("/etc/init.d/") || under("/etc/rc.d/") || under("/etc/rcS.d/") => {
            Source::Script(Trigger::Boot)
        }
        _ if name.ends_with(".service")
            && (under("/lib/systemd/") || under("/etc/systemd/") || under("/usr/lib/systemd/")) =>
        {
            Source::Script(Trigger::Boot)
        }
        _ => return None,
    })
}

fn push(
    facts: &mut Facts,
    kind: &str,
    trigger: &str,
    what: &str,
    excerpt: &str,
    location: hallmark_model::Location,
) {
    let handler = PortHandler {
        kind: kind.to_owned(),
        trigger: trigger.to_owned(),
        what: what.to_owned(),
        excerpt: shorten(excerpt),
        location,
    };
    if !facts.port_handlers.contains(&handler) {
        facts.port_handlers.push(handler);
    }
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

/// A rule file: each command it runs is judged as written; returns the programs it runs (to
/// be followed).
fn rules(
    file: &File<'_>,
    text: &str,
    trigger: Trigger,
    commands_of: fn(&str) -> Vec<String>,
    facts: &mut Facts,
) -> Vec<String> {
    let mut calls = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for command_text in commands_of(line) {
            for command in shell::commands(&command_text) {
                let mut taint = Taint::default();
                judge(
                    file,
                    &command,
                    line,
                    n.saturating_add(1),
                    trigger,
                    &mut taint,
                    facts,
                );
                calls.push(command.program().to_owned());
            }
        }
    }
    calls
}

/// udev: the commands of `RUN` and `PROGRAM` keys (`RUN+="/sbin/x %k"`).
fn udev_commands(line: &str) -> Vec<String> {
    let line = line.trim();
    if line.starts_with('#') {
        return Vec::new();
    }
    let mut out = Vec::new();
    for key in ["RUN", "PROGRAM", "IMPORT{program}"] {
        let mut rest = line;
        while let Some(at) = rest.find(key) {
            let after = rest.get(at.saturating_add(key.len())..).unwrap_or("");
            let after_op = after
                .trim_start_matches(|c: char| c == '{' || c.is_ascii_alphanumeric() || c == '}')
                .trim_start();
            let after_op = after_op
                .strip_prefix("+=")
                .or_else(|| after_op.strip_prefix(":="))
                .or_else(|| after_op.strip_prefix("=="))
                .or_else(|| after_op.strip_prefix('='));
            if let Some(value) = after_op.and_then(|v| v.trim_start().strip_prefix('"')) {
                if let Some(end) = value.find('"') {
                    out.push(value.get(..end).unwrap_or("").to_owned());
                }
            }
            rest = after;
        }
    }
    out
}

/// mdev.conf: `<device regex> <uid>:<gid> <mode> [=path|>path|!] [@|$|*<command>]`.
fn mdev_command(line: &str) -> Vec<String> {
    let line = line.trim();
    if line.starts_with('#') || line.is_empty() {
        return Vec::new();
    }
    let fields: Vec<&str> = line.splitn(4, char::is_whitespace).collect();
    let Some(rest) = fields.get(3) else {
        return Vec::new();
    };
    let mut rest = rest.trim_start();
    // An optional move or rename target comes first.
    if rest.starts_with(['=', '>', '!']) {
        rest = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim_start());
    }
    match rest.strip_prefix(['@', '$', '*']) {
        Some(command) if !command.trim().is_empty() => vec![command.trim().to_owned()],
        _ => Vec::new(),
    }
}

/// hotplug2 rules: `exec <command> ;`.
fn hotplug2_command(line: &str) -> Vec<String> {
    let line = line.trim();
    match line.strip_prefix("exec ") {
        Some(command) => vec![command.trim_end_matches(';').trim().to_owned()],
        None => Vec::new(),
    }
}

/// procd hotplug JSON: `[ "exec", "/sbin/hotplug-call", "%SUBSYSTEM%" ]`.
fn json_exec(line: &str) -> Vec<String> {
    let Some(at) = line.find("\"exec\"") else {
        return Vec::new();
    };
    let rest = line.get(at.saturating_add(6)..).unwrap_or("");
    let words: Vec<&str> = rest
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|w| !w.trim().is_empty())
        .collect();
    if words.is_empty() {
        Vec::new()
    } else {
        vec![words.join(" ")]
    }
}

fn modules(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let Some(module) = line
            .split('#')
            .next()
            .and_then(|l| l.split_whitespace().next())
        else {
            continue;
        };
        if GADGET_MODULES.contains(&module) {
            push(
                facts,
                "usb-gadget",
                "modules",
                module,
                line,
                file.line(n.saturating_add(1)),
            );
        }
    }
}

fn inittab(file: &File<'_>, text: &str, facts: &mut Facts) {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(4, ':');
        let id = fields.next().unwrap_or("");
        let process = fields.nth(2).unwrap_or("");
        if id.starts_with("ttyGS") || process.contains("ttyGS") {
            push(
                facts,
                "usb-gadget",
                "boot",
                "ttyGS",
                line,
                file.line(n.saturating_add(1)),
            );
        }
    }
}

/// Whether a value names removable media.
fn media_literal(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    // A media directory at the start of a path (`/media/...`, not `/usr/share/media/...`).
    let at_path_start = |m: &str| {
        lower.match_indices(m).any(|(at, _)| {
            lower
                .get(..at)
                .and_then(|before| before.chars().last())
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
        })
    };
    if MEDIA.iter().any(|m| at_path_start(m)) {
        return true;
    }
    // `/mnt/sda1/...`, `/tmp/mmcblk0p1`: a block-device name as a path component.
    lower.split('/').skip(1).any(is_block_name)
}

/// A partition of a removable disk: `sda1`, `sdb12`, `mmcblk0p1` (not `sdk`).
fn is_block_name(component: &str) -> bool {
    if let Some(rest) = component.strip_prefix("sd") {
        let mut chars = rest.chars();
        let digits = rest.get(1..).unwrap_or("");
        return chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && !digits.is_empty()
            && digits.len() <= 2
            && digits.chars().all(|c| c.is_ascii_digit());
    }
    component.starts_with("mmcblk") && component.contains('p')
}

/// Variable names referenced by `$NAME` or `${NAME...}` in a word.
fn refs(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        let after = rest.get(at.saturating_add(1)..).unwrap_or("");
        let (name, next) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            (
                inner.get(..end).unwrap_or(""),
                inner.get(end..).unwrap_or(""),
            )
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (
                after.get(..end).unwrap_or(""),
                after.get(end..).unwrap_or(""),
            )
        };
        if !name.is_empty() {
            out.push(name);
        }
        rest = next;
    }
    out
}

/// `NAME=value` (optionally after `local`, `export` or `readonly`) at the start of a line.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let mut line = line.trim_start();
    for prefix in ["local ", "export ", "readonly "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            line = rest.trim_start();
        }
    }
    let (name, value) = line.split_once('=')?;
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    Some((name, value.trim()))
}

/// What a script knows about media while it is read.
#[derive(Default)]
struct Taint {
    /// Variables whose value mentions removable media; `true` when the value is a path on it.
    vars: BTreeMap<String, bool>,
}

impl Taint {
    /// Whether a word mentions removable media (literally or through a variable).
    fn mentions(&self, word: &str) -> bool {
        media_literal(word) || refs(word).iter().any(|r| self.vars.contains_key(*r))
    }

    /// Whether a word is a path on removable media: a literal one, or one starting with a
    /// variable holding such a path (`$MNT/autorun.sh`), or an `autorun` file under a variable.
    fn is_path(&self, word: &str) -> bool {
        if media_literal(word) && word.starts_with('/') {
            return true;
        }
        let Some(first) = refs(word).into_iter().next() else {
            return false;
        };
        let starts_with_ref = word.starts_with('$') || word.starts_with("\"$");
        starts_with_ref
            && (self.vars.get(first).copied().unwrap_or(false)
                || (self.vars.contains_key(first) && word.to_ascii_lowercase().contains("autorun")))
    }

    fn learn(&mut self, name: &str, value: &str) {
        let value = value.trim_matches(['"', '\'']);
        if self.mentions(value) {
            // A listing of media paths is a media path too.
            let listing = ["$(ls", "$( ls", "`ls", "$(find", "$( find", "`find"]
                .iter()
                .any(|l| value.starts_with(l));
            let path =
                (media_literal(value) && value.starts_with('/')) || self.is_path(value) || listing;
            self.vars.insert(name.to_owned(), path);
        } else {
            self.vars.remove(name);
        }
    }
}

/// Analyses one script; returns the programs it runs (to be followed).
fn script(file: &File<'_>, text: &str, trigger: Trigger, facts: &mut Facts) -> BTreeSet<String> {
    let mut taint = Taint::default();
    let mut calls = BTreeSet::new();
    let systemd = file.path().ends_with(".service");
    let configfs = text.contains("usb_gadget");
    for (n, raw) in text.lines().enumerate() {
        let line_no = n.saturating_add(1);
        let line = if systemd {
            match raw.trim().split_once('=') {
                Some((key, value)) if key.starts_with("Exec") => {
                    value.trim_start_matches(['-', '@', '+', '!', ':'])
                }
                _ => continue,
            }
        } else {
            raw
        };
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some((name, value)) = assignment(line) {
            taint.learn(name, value);
        }
        // `for f in /media/*/autorun.sh; do`
        if let Some(rest) = line.trim_start().strip_prefix("for ") {
            let mut words = rest.split_whitespace();
            if let (Some(var), Some("in")) = (words.next(), words.next()) {
                if words.any(|w| taint.mentions(w)) {
                    taint.vars.insert(var.to_owned(), true);
                }
            }
        }
        gadget_line(file, line, line_no, trigger, configfs, facts);
        for command in shell::commands(line) {
            let command = without_keywords(command);
            judge(file, &command, line, line_no, trigger, &mut taint, facts);
            let program = command.program();
            if program.starts_with('/') || !program.contains(['$', '/']) {
                calls.insert(program.to_owned());
            }
        }
    }
    calls
}

/// The command without leading shell keywords (`then $MNT/autorun.sh`).
fn without_keywords(mut command: Command) -> Command {
    while command.words.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{" | "time"
        )
    }) {
        command.words.remove(0);
    }
    command
}

/// USB gadget functions in a script line: modules loaded, configfs functions created.
fn gadget_line(
    file: &File<'_>,
    line: &str,
    line_no: usize,
    trigger: Trigger,
    configfs: bool,
    facts: &mut Facts,
) {
    if trigger != Trigger::Boot {
        return;
    }
    for command in shell::commands(line) {
        let program = shell::basename(command.program());
        if matches!(program, "modprobe" | "insmod") {
            for arg in command.args() {
                let module = shell::basename(arg).trim_end_matches(".ko");
                if GADGET_MODULES.contains(&module) {
                    push(
                        facts,
                        "usb-gadget",
                        "boot",
                        module,
                        line,
                        file.line(line_no),
                    );
                }
            }
        }
        if matches!(program, "mkdir" | "ln") {
            for arg in command.args() {
                let Some((_, function)) = arg.rsplit_once("functions/") else {
                    continue;
                };
                let name = function.split(['.', '/']).next().unwrap_or("");
                if configfs && GADGET_FUNCTIONS.contains(&name) {
                    push(facts, "usb-gadget", "boot", name, line, file.line(line_no));
                }
            }
        }
    }
}

/// Judges one command: does it run or install something from removable media?
fn judge(
    file: &File<'_>,
    command: &Command,
    line: &str,
    line_no: usize,
    trigger: Trigger,
    taint: &mut Taint,
    facts: &mut Facts,
) {
    let program = command.program();
    let name = shell::basename(program);
    let args = command.args();
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    // Mounting a removable block device makes the target a path on the media.
    if name == "mount" {
        let mut mount_operands = Vec::new();
        let mut skip = false;
        for a in args {
            if skip {
                skip = false;
            } else if matches!(a.as_str(), "-o" | "-t" | "-O" | "-L" | "-U") {
                skip = true;
            } else if !a.starts_with('-') {
                mount_operands.push(a.as_str());
            }
        }
        let device = if mount_operands.len() >= 2 {
            mount_operands.first().copied().unwrap_or("")
        } else {
            ""
        };
        let target = mount_operands.last().copied().unwrap_or("");
        let removable = device.starts_with("/dev/sd")
            || device.starts_with("/dev/mmcblk")
            || device.starts_with("/dev/$")
            || device.starts_with("/dev/%")
            || refs(device)
                .iter()
                .any(|r| matches!(*r, "MDEV" | "DEVNAME" | "device" | "DEVICE" | "dev"));
        if removable {
            for r in refs(target) {
                taint.vars.insert(r.to_owned(), true);
            }
        }
    }
    let mut hit = |kind: &str, what: &str| {
        push(facts, kind, trigger.name(), what, line, file.line(line_no));
    };
    // The program itself is on the media.
    if taint.is_path(program) {
        hit("media-exec", program);
        return;
    }
    let first_operand = operands.first().map_or("", |s| s.as_str());
    match name {
        "sh" | "ash" | "bash" | "." | "source" | "hush"
            if !first_operand.is_empty() && taint.mentions(first_operand) =>
        {
            hit("media-exec", first_operand);
        }
        "insmod" | "modprobe" => {
            if let Some(module) = operands.iter().find(|a| taint.mentions(a)) {
                hit("media-exec", module);
            }
        }
        "opkg" | "ipkg" | "dpkg" | "rpm" | "apk" => {
            // The packages follow the install verb or option.
            let packages = args
                .iter()
                .skip_while(|a| {
                    !matches!(a.as_str(), "install" | "add" | "-i" | "--install" | "-U")
                })
                .skip(1)
                .filter(|a| !a.starts_with('-'));
            if let Some(package) = packages.into_iter().find(|a| taint.mentions(a)) {
                hit("media-install", package);
            }
        }
        "dd" => {
            let to_flash = args
                .iter()
                .any(|a| a.starts_with("of=/dev/mtd") || a.starts_with("of=/dev/mmcblk"));
            if let Some(input) = args
                .iter()
                .find(|a| a.starts_with("if=") && taint.mentions(a))
            {
                if to_flash {
                    hit("media-install", input.trim_start_matches("if="));
                }
            }
        }
        _ if FLASHERS.contains(&name) => {
            if let Some(image) = operands.iter().find(|a| taint.mentions(a)) {
                hit("media-install", image);
            }
        }
        _ => {}
    }
}

/// Shell scripts of the image by their path in the root filesystem.
type Scripts<'i> = BTreeMap<&'i str, Vec<File<'i>>>;

fn script_index<'i>(image: &'i Image<'_>) -> Scripts<'i> {
    let mut index: Scripts<'i> = BTreeMap::new();
    for file in image.files() {
        if file.bytes().starts_with(b"#!") && file.text().is_some() {
            index
                .entry(image.rootfs_path(&file))
                .or_default()
                .push(file);
        }
    }
    index
}

/// The script files a program name or path stands for.
fn resolve<'i>(scripts: &Scripts<'i>, program: &str) -> Vec<File<'i>> {
    let candidates: Vec<String> = if program.starts_with('/') {
        vec![program.to_owned()]
    } else if program.is_empty() || program.contains('/') {
        Vec::new()
    } else {
        ["/sbin/", "/bin/", "/usr/sbin/", "/usr/bin/"]
            .iter()
            .map(|dir| format!("{dir}{program}"))
            .collect()
    };
    candidates
        .iter()
        .filter_map(|c| scripts.get(c.as_str()))
        .flatten()
        .copied()
        .collect()
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
        crate::tests::collect_tree(tree, &PortsCollector)
    }

    fn summary(facts: &Facts) -> Vec<String> {
        facts
            .port_handlers
            .iter()
            .map(|h| {
                let (path, line) = crate::tests::path_line(&h.location);
                format!("{} {} {} {path}:{line}", h.kind, h.trigger, h.what)
            })
            .collect()
    }

    #[test]
    fn hotplug_handlers_that_run_media_content() {
        let facts = collect(&[
            (
                "/etc/udev/rules.d/90-usb.rules",
                "# autorun\nACTION==\"add\", KERNEL==\"sd[a-z][0-9]\", RUN+=\"/bin/sh /media/%k/autorun.sh\"\nKERNEL==\"sd*\", RUN+=\"/sbin/hotplug-call %k\"\n",
            ),
            (
                "/etc/mdev.conf",
                "null 0:0 666\nsd[a-z][0-9]* 0:0 660 */etc/mdev/automount.sh\n",
            ),
            (
                "/etc/mdev/automount.sh",
                "#!/bin/sh\nMNT=/tmp/disk/$MDEV\nmkdir -p $MNT\nmount /dev/$MDEV $MNT\n[ -x $MNT/autorun.sh ] && $MNT/autorun.sh\n",
            ),
            (
                "/etc/hotplug.d/block/10-mount",
                "#!/bin/sh\ntarget=/var/run/$DEVICENAME\nmount -o ro /dev/$DEVICENAME \"$target\"\n. \"$target/setup.conf\"\nlogger \"mounted $target\"\n",
            ),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "media-exec udev /media/%k/autorun.sh /etc/udev/rules.d/90-usb.rules:2",
                "media-exec mdev $MNT/autorun.sh /etc/mdev/automount.sh:5",
                "media-exec hotplug $target/setup.conf /etc/hotplug.d/block/10-mount:4",
            ]
        );
        // Rules and hotplug scripts are what was examined.
        assert_eq!(facts.coverage["ports"].examined, 4);
    }

    #[test]
    fn boot_scripts_that_install_from_media_are_followed() {
        let facts = collect(&[
            ("/etc/rc.local", "# local\n/bin/installer.sh\nexit 0\n"),
            (
                "/bin/installer.sh",
                "#!/bin/sh\nlog=/mnt/usb/install.log\nimages=/mnt/usb/auto_flash\nimage=$(ls -1 ${images}/openwrt-*.bin)\nname=$(basename ${image})\ncp \"$image\" /tmp/$name\necho start >> $log\nstart-stop-daemon -b -S -x sysupgrade -- -n \"/tmp/${name}\"\nopkg --cache /mnt/usb/cache install foo\nOPKG=\"opkg --cache /mnt/usb/cache\"\n$OPKG install foo\nfor s in $(ls /media/*/run.sh); do $s; done\nif [ -x /tmp/usb/autorun ]; then /tmp/usb/autorun; fi\n",
            ),
            ("/bin/unused.sh", "#!/bin/sh\nsh /media/usb/x.sh\n"),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "media-install boot /tmp/${name} /bin/installer.sh:8",
                "media-exec boot $s /bin/installer.sh:12",
                "media-exec boot /tmp/usb/autorun /bin/installer.sh:13",
            ]
        );
        assert_eq!(facts.coverage["ports"].examined, 0);
    }

    #[test]
    fn usb_gadget_functions_enabled_at_boot() {
        let facts = collect(&[
            ("/etc/modules.d/60-usb-gadget", "libcomposite\ng_serial\n"),
            (
                "/etc/init.d/S20gadget",
                "#!/bin/sh\nmodprobe g_ether host_addr=x\nG=/sys/kernel/config/usb_gadget/g1\nmkdir -p $G/functions/rndis.usb0\nmkdir -p $G/functions/mass_storage.0\n",
            ),
            (
                "/etc/inittab",
                "::sysinit:/etc/init.d/rcS\nttyGS0::respawn:/sbin/getty -L ttyGS0 115200 vt100\n",
            ),
        ]);
        assert_eq!(
            summary(&facts),
            vec![
                "usb-gadget boot ttyGS /etc/inittab:2",
                "usb-gadget modules g_serial /etc/modules.d/60-usb-gadget:2",
                "usb-gadget boot g_ether /etc/init.d/S20gadget:2",
                "usb-gadget boot rndis /etc/init.d/S20gadget:4",
            ]
        );
    }

    #[test]
    fn mounting_and_logging_to_media_is_not_running_it() {
        let facts = collect(&[
            (
                "/etc/hotplug.d/block/40-mount",
                "#!/bin/sh\ndevice=`basename $DEVPATH`\n( mkdir -p /mnt/$device && mount /dev/$device /mnt/$device ) 2>&1 | logger -t fstab\n",
            ),
            (
                "/etc/init.d/autocfg",
                "#!/bin/sh /etc/rc.common\nstart() {\n  /opt/autocfg/bin/auto_config.sh >> /mnt/usb/apply_config.log\n  echo done >> /mnt/usb/apply_config.log\n}\n",
            ),
            (
                "/init",
                "#!/bin/sh\nmount $rootfs /mnt\nmount -o move /proc /mnt/proc\nexec switch_root -c /dev/console /mnt /sbin/init\n",
            ),
            (
                "/etc/hotplug2.rules",
                "SUBSYSTEM ~~ (^usb$|^block$) {\n\texec /sbin/hotplug-call %SUBSYSTEM%\n}\n",
            ),
            (
                "/etc/hotplug.json",
                "[ [ \"exec\", \"/sbin/hotplug-call\", \"%SUBSYSTEM%\" ] ]\n",
            ),
            (
                "/sbin/hotplug-call",
                "#!/bin/sh\nfor script in $(ls /etc/hotplug.d/$1/* 2>&-); do (\n . $script\n); done\n",
            ),
        ]);
        assert_eq!(summary(&facts), Vec::<String>::new());
        assert_eq!(facts.coverage["ports"].examined, 3);
    }

    #[test]
    fn hostile_text_does_not_panic() {
        let hostile = "RUN+=\"\nRUN+=\nsd 0:0\n$\n${\n${x\nfor\nfor x in\nmount /dev/sd\n\"'`$(\u{0}\u{7f}=\n=x\nsd[a-z] 0:0 660 @\n\"exec\"\n";
        let facts = collect(&[
            ("/etc/udev/rules.d/1.rules", hostile),
            ("/etc/mdev.conf", hostile),
            ("/etc/hotplug.d/x/y", hostile),
            ("/etc/hotplug.json", hostile),
            ("/etc/inittab", hostile),
            ("/etc/modules", hostile),
            ("/etc/hotplug2.rules", hostile),
        ]);
        assert!(facts.coverage.contains_key("ports"));
    }

    #[test]
    fn media_paths() {
        for yes in [
            "/media/usb0/run.sh",
            "\"/mnt/sda1/x\"",
            "/tmp/usb/autorun",
            "/mnt/$MDEV/a",
            "/usb/x",
        ] {
            assert!(media_literal(yes), "{yes}");
        }
        for no in [
            "/usr/share/media/x.sh",
            "/sys/bus/usb/devices",
            "/mnt/proc",
            "/lib/usb/x.sh",
            "/tmp/fw.bin",
            "sda",
        ] {
            assert!(!media_literal(no), "{no}");
        }
    }
}
