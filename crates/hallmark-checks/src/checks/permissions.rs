//! File permissions (principles 4 and 7).

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, path_of};

check! {
    /// No world-writable files or directories.
    WorldWritable {
        id: "permissions-world-writable",
        title: "No file or directory of the system is writable by every user",
        requirements: ["ECD-4.2", "ECD-7.1", "ECD-7.3"],
        severity: Medium,
        doc: "## What it checks\nFiles and directories writable by all users (mode `o+w`), except directories with the sticky bit such as `/tmp`.\n\n## Why it matters\nAny process, however unprivileged, can change a world-writable file; when it is a script run as root at boot, that is a privilege escalation that survives reboots.\n\n## Evidence\nThe path and its mode, and whether it runs at boot.\n\n## How to fix\nSet modes in the build (e.g. 0755 for scripts, 0644 for configuration), owned by root; give shared data directories a dedicated group and the sticky bit.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: world_writable,
    }
}

fn world_writable(check: &WorldWritable, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "permissions", "file permissions") {
        return judge.finish(true, "");
    }
    for p in facts
        .permissions
        .iter()
        .filter(|p| p.kind == "world_writable")
    {
        let path = path_of(&p.location);
        judge.fail(
            &p.location,
            Some(if p.run_at_boot {
                Severity::High
            } else {
                Severity::Medium
            }),
            format!(
                "{} {path} is world-writable{}",
                p.file_type,
                if p.run_at_boot {
                    " and runs at boot"
                } else {
                    ""
                }
            ),
            format!("mode {:04o}", p.mode),
            if p.run_at_boot {
                "any user can change what root runs at boot"
            } else {
                "any process can change it"
            },
            "Remove the world-write bit in the build; use a dedicated group for shared data.",
        );
    }
    judge.finish(true, "nothing is world-writable")
}

check! {
    /// Setuid programs are few.
    Setuid {
        id: "permissions-setuid",
        title: "No setuid or setgid programs beyond what is essential",
        requirements: ["ECD-7.1", "ECD-7.3"],
        severity: Low,
        doc: "## What it checks\nFiles with the setuid or setgid bit. A setuid multi-call BusyBox is singled out: every applet then runs as root.\n\n## Why it matters\nEach setuid-root program is a path from any local foothold to root; on embedded devices they are rarely needed.\n\n## Evidence\nThe path, mode and owner.\n\n## How to fix\nRemove setuid bits; for BusyBox, build the few applets that need privilege (e.g. `passwd`) as a separate binary, or use `CONFIG_FEATURE_SUID` with `/etc/busybox.conf` restricting them.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: setuid,
    }
}

fn setuid(check: &Setuid, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "permissions", "file permissions") {
        return judge.finish(true, "");
    }
    for p in facts
        .permissions
        .iter()
        .filter(|p| p.kind == "setuid" && p.uid == 0)
    {
        let path = path_of(&p.location);
        let busybox = path.ends_with("/busybox");
        judge.fail(
            &p.location,
            Some(if busybox {
                Severity::Medium
            } else {
                Severity::Low
            }),
            format!(
                "{path} is setuid root{}",
                if busybox {
                    ": every BusyBox applet runs as root"
                } else {
                    ""
                }
            ),
            format!("mode {:04o}, owner uid {}", p.mode, p.uid),
            "a flaw in it gives any local user root",
            "Remove the setuid bit or confine the program.",
        );
    }
    judge.finish(true, "no setuid-root programs")
}
