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
        title: "No setuid-root programs beyond what is essential",
        requirements: ["ECD-7.1", "ECD-7.3"],
        severity: Low,
        doc: "## What it checks\nFiles that are setuid and owned by root. A setuid multi-call BusyBox is singled out: every applet then runs as root. Setgid programs and programs setuid to an unprivileged user are not reported: they grant only that group's or user's rights.\n\n## Why it matters\nEach setuid-root program is a path from any local foothold to root; on embedded devices they are rarely needed.\n\n## Evidence\nThe path, mode and owner.\n\n## How to fix\nRemove setuid bits; for BusyBox, build the few applets that need privilege (e.g. `passwd`) as a separate binary, or use `CONFIG_FEATURE_SUID` with `/etc/busybox.conf` restricting them.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
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

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        Fixture, UNPACK_LIMIT, facts_with, image_file, not_run, partial_with,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::Permission;

    fn permission(kind: &str, mode: u32, uid: u32, file_type: &str, path: &str) -> Permission {
        Permission {
            kind: kind.into(),
            mode,
            uid,
            file_type: file_type.into(),
            run_at_boot: false,
            location: image_file(path),
        }
    }

    /// A boot script anyone can change, and a shared directory without the sticky bit.
    fn world_writable() -> Vec<Permission> {
        vec![
            Permission {
                run_at_boot: true,
                ..permission("world_writable", 0o777, 0, "file", "/etc/init.d/S99custom")
            },
            permission("world_writable", 0o777, 0, "dir", "/srv/share"),
        ]
    }

    /// A setuid-root BusyBox and a setuid-root pppd.
    fn setuid_root() -> Vec<Permission> {
        vec![
            permission("setuid", 0o4755, 0, "file", "/bin/busybox"),
            permission("setuid", 0o4750, 0, "file", "/usr/sbin/pppd"),
        ]
    }

    /// What passes both checks: a setgid program and a program setuid to an unprivileged
    /// owner.
    fn benign() -> Vec<Permission> {
        vec![
            permission("setgid", 0o2755, 0, "file", "/usr/bin/crontab"),
            permission("setuid", 0o4755, 1000, "file", "/usr/bin/vendor_helper"),
        ]
    }

    fn with(permissions: Vec<Permission>) -> Facts {
        facts_with("permissions", |f| f.permissions = permissions)
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let mut out = Vec::new();
        for (id, failing) in [
            ("permissions-world-writable", world_writable()),
            ("permissions-setuid", setuid_root()),
        ] {
            out.push((id, Fail, with(failing)));
            out.push((id, Pass, with(benign())));
            out.push((id, Pass, with(Vec::new())));
            out.push((
                id,
                Inconclusive,
                partial_with("permissions", UNPACK_LIMIT, |f| f.permissions = benign()),
            ));
            out.push((id, Inconclusive, not_run("permissions")));
        }
        out.push(("permissions-world-writable", Pass, with(setuid_root())));
        out.push(("permissions-setuid", Pass, with(world_writable())));
        out
    }

    #[test]
    fn world_writable_files_fail_higher_when_they_run_at_boot() {
        let o = WorldWritable.evaluate(&with(world_writable()));
        let got: Vec<(&str, Severity, &str, String)> = o
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.severity,
                    f.evidence[0].observed.as_str(),
                    crate::util::path_of(&f.evidence[0].location),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "file /etc/init.d/S99custom is world-writable and runs at boot",
                    Severity::High,
                    "mode 0777",
                    "/etc/init.d/S99custom".to_owned()
                ),
                (
                    "dir /srv/share is world-writable",
                    Severity::Medium,
                    "mode 0777",
                    "/srv/share".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn setuid_root_fails_and_a_setuid_busybox_is_singled_out() {
        let o = Setuid.evaluate(&with(setuid_root()));
        let got: Vec<(&str, Severity, &str, String)> = o
            .findings
            .iter()
            .map(|f| {
                (
                    f.title.as_str(),
                    f.severity,
                    f.evidence[0].observed.as_str(),
                    crate::util::path_of(&f.evidence[0].location),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "/bin/busybox is setuid root: every BusyBox applet runs as root",
                    Severity::Medium,
                    "mode 4755, owner uid 0",
                    "/bin/busybox".to_owned()
                ),
                (
                    "/usr/sbin/pppd is setuid root",
                    Severity::Low,
                    "mode 4750, owner uid 0",
                    "/usr/sbin/pppd".to_owned()
                ),
            ]
        );
        let o = Setuid.evaluate(&with(benign()));
        assert_eq!(o.verdict, Verdict::Pass);
        assert_eq!(o.summary, "no setuid-root programs");
    }
}
