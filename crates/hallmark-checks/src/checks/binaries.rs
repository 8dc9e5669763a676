//! Exploit mitigations of executables (principle 4).

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, path_of};

/// Directories any user can write to: a library search path there lets them inject code.
const WRITABLE_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm", "/mnt", "/media", "."];

check! {
    /// Executables keep their exploit mitigations.
    ExploitMitigations {
        id: "binaries-exploit-mitigations",
        title: "Executables have a non-executable stack and no writable library paths",
        requirements: ["ECD-4.6", "ECD-6.3"],
        severity: Medium,
        doc: "## What it checks\nEvery ELF executable and library: an executable stack (PT_GNU_STACK with X, or missing), and RPATH/RUNPATH entries in world-writable or relative directories. It also counts binaries without PIE, stack canaries or full RELRO, reported in the summary.\n\n## Why it matters\nAn executable stack turns a buffer overflow into code execution directly; a library path in /tmp lets any local process inject code into the program.\n\n## Evidence\nThe binary and the property found.\n\n## How to fix\nBuild with `-z noexecstack`, `-fstack-protector-strong`, `-D_FORTIFY_SOURCE=2`, `-fPIE -pie` and `-Wl,-z,relro,-z,now`; never link with RPATH/RUNPATH outside read-only system directories.\n\n## Inconclusive when\nNo ELF binaries were examined.\n",
        evaluate: mitigations,
    }
}

fn mitigations(check: &ExploitMitigations, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "elf", "ELF binaries") {
        return judge.finish(true, "");
    }
    if facts.binaries.is_empty() {
        judge.missing("ELF binaries: none found in the image");
    }
    let (mut no_pie, mut no_canary, mut no_relro) = (0usize, 0usize, 0usize);
    for b in &facts.binaries {
        let path = path_of(&b.location);
        if b.nx == Some(false) {
            judge.fail(
                &b.location,
                Some(Severity::Medium),
                format!("{path} has an executable stack"),
                "PT_GNU_STACK executable (or absent)",
                "a stack overflow in it executes injected code directly",
                "Link with -z noexecstack.",
            );
        }
        let bad_paths: Vec<&str> = b
            .rpath
            .iter()
            .chain(&b.runpath)
            .flat_map(|p| p.split(':'))
            .filter(|dir| {
                dir.is_empty()
                    || (!dir.starts_with('/') && !dir.starts_with("$ORIGIN"))
                    || WRITABLE_DIRS
                        .iter()
                        .any(|w| dir == w || dir.starts_with(&format!("{w}/")))
            })
            .collect();
        if let Some(first) = bad_paths.first() {
            judge.fail(
                &b.location,
                Some(Severity::Medium),
                format!("{path} searches libraries in a writable directory"),
                format!("RPATH/RUNPATH {first}"),
                "any local user can plant a library the program will load",
                "Remove RPATH/RUNPATH or point it at read-only system directories.",
            );
        }
        if !b.library && b.pie == Some(false) {
            no_pie = no_pie.saturating_add(1);
        }
        if b.canary == Some(false) {
            no_canary = no_canary.saturating_add(1);
        }
        if b.relro.as_deref() != Some("full") {
            no_relro = no_relro.saturating_add(1);
        }
    }
    let n = facts.binaries.len();
    judge.finish(true, format!("{n} ELF files: none with an executable stack or writable library path ({no_pie} executables without PIE, {no_canary} without stack canaries, {no_relro} without full RELRO)"))
}
