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
    let mut unknown_stack: Vec<String> = Vec::new();
    for b in &facts.binaries {
        let path = path_of(&b.location);
        // An executable or shared object without program headers: its stack is unknown
        // (relocatable objects such as kernel modules have no stack of their own).
        if b.nx.is_none() && matches!(b.elf_type.as_str(), "exec" | "dyn") {
            unknown_stack.push(path.clone());
        }
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
    if let Some(first) = unknown_stack.first() {
        judge.missing(format!(
            "whether {} ELF programs have a non-executable stack: they have no program headers (first: {first})",
            unknown_stack.len()
        ));
    }
    let n = facts.binaries.len();
    judge.finish(true, format!("{n} ELF files: none with an executable stack or writable library path ({no_pie} executables without PIE, {no_canary} without stack canaries, {no_relro} without full RELRO)"))
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        Fixture, UNPACK_LIMIT, facts_with, image_file, not_run, partial_with, path_line,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::Binary;

    /// A hardened dynamically linked ARM PIE executable, as the ELF collector records it.
    fn hardened(path: &str) -> Binary {
        Binary {
            location: image_file(path),
            elf_type: "dyn".into(),
            machine: "arm".into(),
            class: 32,
            endian: "little".into(),
            library: false,
            pie: Some(true),
            nx: Some(true),
            relro: Some("full".into()),
            canary: Some(true),
            fortify: Some(true),
            rpath: Vec::new(),
            runpath: Vec::new(),
            stripped: true,
            static_linked: false,
            soname: None,
            interpreter: Some("/lib/ld-musl-armhf.so.1".into()),
            needed: vec!["libc.so".into()],
        }
    }

    /// A shared library: PIE does not apply.
    fn library(path: &str, soname: &str) -> Binary {
        Binary {
            library: true,
            pie: None,
            soname: Some(soname.into()),
            interpreter: None,
            ..hardened(path)
        }
    }

    /// A non-PIE executable with no canary and partial RELRO, but a non-executable stack.
    fn legacy(path: &str) -> Binary {
        Binary {
            elf_type: "exec".into(),
            pie: Some(false),
            relro: Some("partial".into()),
            canary: Some(false),
            fortify: Some(false),
            ..hardened(path)
        }
    }

    /// A clean image: hardened programs, a library, and one legacy program (counted, not
    /// failed).
    fn clean() -> Vec<Binary> {
        vec![
            hardened("/usr/sbin/dropbear"),
            library("/lib/libuci.so", "libuci.so"),
            legacy("/usr/bin/vendor_cli"),
            Binary {
                rpath: vec!["$ORIGIN/../lib".into()],
                runpath: vec!["/usr/lib/vendor".into()],
                ..hardened("/usr/bin/agent")
            },
        ]
    }

    /// `miniweb` has no PT_GNU_STACK (executable stack); `cwmpd` searches /tmp/lib.
    fn weak() -> Facts {
        facts_with("elf", |f| {
            f.binaries = clean();
            f.binaries.push(Binary {
                nx: Some(false),
                relro: Some("none".into()),
                ..legacy("/usr/bin/miniweb")
            });
            f.binaries.push(Binary {
                runpath: vec!["/usr/lib".into(), "/tmp/lib".into()],
                ..hardened("/usr/sbin/cwmpd")
            });
        })
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let id = "binaries-exploit-mitigations";
        vec![
            (id, Fail, weak()),
            (id, Pass, facts_with("elf", |f| f.binaries = clean())),
            // The collector ran but found no ELF file (an RTOS image, or a script-only tree).
            (id, Inconclusive, facts_with("elf", |_| {})),
            // Clean so far, but the image was not unpacked completely.
            (
                id,
                Inconclusive,
                partial_with("elf", UNPACK_LIMIT, |f| f.binaries = clean()),
            ),
            // Clean so far, but some ELF files were too large to read.
            (
                id,
                Inconclusive,
                partial_with(
                    "elf",
                    "1 ELF files larger than 16777216 bytes were not read",
                    |f| f.binaries = clean(),
                ),
            ),
            (id, Inconclusive, not_run("elf")),
            // A program without program headers: its stack is unknown. A kernel module
            // (relocatable, no stack of its own) with none is fine.
            (
                id,
                Inconclusive,
                facts_with("elf", |f| {
                    f.binaries = clean();
                    f.binaries.push(Binary {
                        nx: None,
                        relro: None,
                        ..legacy("/usr/bin/odd")
                    });
                }),
            ),
            (
                id,
                Pass,
                facts_with("elf", |f| {
                    f.binaries = clean();
                    f.binaries.push(Binary {
                        elf_type: "rel".into(),
                        nx: None,
                        relro: None,
                        pie: None,
                        ..legacy("/lib/modules/4.14/nf_nat.ko")
                    });
                }),
            ),
        ]
    }

    #[test]
    fn executable_stacks_and_writable_library_paths_fail_where_they_are() {
        let o = ExploitMitigations.evaluate(&weak());
        assert_eq!(o.verdict, Verdict::Fail);
        let got: Vec<(&str, Option<&str>, &str)> = o
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    path_line(&f.evidence[0].location).0,
                    f.evidence[0].observed.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "/usr/bin/miniweb has an executable stack",
                    Some("/usr/bin/miniweb"),
                    "PT_GNU_STACK executable (or absent)"
                ),
                (
                    "/usr/sbin/cwmpd searches libraries in a writable directory",
                    Some("/usr/sbin/cwmpd"),
                    "RPATH/RUNPATH /tmp/lib"
                ),
            ]
        );
        // A relative library path is as bad as /tmp: it depends on the working directory.
        let relative = facts_with("elf", |f| {
            f.binaries = vec![Binary {
                rpath: vec!["lib".into()],
                ..hardened("/usr/bin/app")
            }];
        });
        let o = ExploitMitigations.evaluate(&relative);
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings[0].evidence[0].observed, "RPATH/RUNPATH lib");
    }

    #[test]
    fn a_pass_counts_the_weaker_mitigations_without_failing_on_them() {
        let o = ExploitMitigations.evaluate(&facts_with("elf", |f| f.binaries = clean()));
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(o.findings.is_empty());
        assert_eq!(
            o.summary,
            "4 ELF files: none with an executable stack or writable library path (1 executables without PIE, 1 without stack canaries, 1 without full RELRO)"
        );
    }

    #[test]
    fn missing_evidence_is_said() {
        let o = ExploitMitigations.evaluate(&facts_with("elf", |_| {}));
        assert_eq!(o.missing, ["ELF binaries: none found in the image"]);
        let o = ExploitMitigations.evaluate(&not_run("elf"));
        assert!(o.missing[0].contains("no firmware root filesystem"));
        // What a partial view finds still fails.
        let mut facts = weak();
        facts.coverage.get_mut("elf").unwrap().status =
            hallmark_model::facts::CoverageStatus::Partial;
        let o = ExploitMitigations.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Fail);
        assert!(!o.missing.is_empty());
    }
}
