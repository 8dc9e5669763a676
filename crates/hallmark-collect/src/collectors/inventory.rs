//! Notable tools: programs, libraries, kernel modules and policy files whose presence (or
//! absence) says something about the device, found by name.
//!
//! | category | names |
//! |---|---|
//! | debug | `gdb`, `gdbserver`, `strace`, `ltrace`, `tcpdump`, `valgrind`, `perf`, `devmem`, `devmem2`, `memtester`, `tddp` (TP-Link debug daemon), `ftrace` |
//! | netcat | `nc`, `netcat`, `ncat`, `socat` |
//! | time-sync | `ntpd`, `ntpclient`, `ntpdate`, `sntp`, `chronyd`, `openntpd`, `systemd-timesyncd`, `htpdate` |
//! | firewall | `iptables`, `ip6tables`, `iptables-restore`, `nft`, `fw3`, `fw4`, `ufw`, `firewalld` |
//! | access-control | `apparmor_parser`, `load_policy`, `setenforce`, `smackload`, `/etc/selinux/config`, files under `/etc/apparmor.d/` |
//! | sandbox | `ujail`, `bwrap`, `firejail`, `minijail0`, `lxc-start`, `runc`, `crun`, `containerd`, `dockerd`, files under `/etc/seccomp/` |
//! | encryption | `cryptsetup`, `fscrypt`, `fscryptctl`, `mount.ecryptfs`, `dm-crypt.ko` |
//! | integrity | `veritysetup`, `dm-verity.ko`, `evmctl`, `avbctl`, files under `/etc/ima/` |
//! | tpm | `tpm2_*` tools, `tcsd`, `tpm_version`, `keylime_agent`, `tpm_tis*.ko`, `tpm_crb.ko`, `tpm.ko` |
//! | lockout | `pam_faillock.so`, `pam_tally2.so`, `pam_tally.so`, `fail2ban-server`, `sshguard` |
//! | monitoring | `snmpd`, `lldpd`, `ladvd`, `softflowd`, `fprobe`, `hsflowd`, `pmacctd`, `collectd`, `telegraf`, `node_exporter` |
//! | identity | `pam_ldap.so`, `pam_radius_auth.so`, `pam_krb5.so`, `pam_sss.so`, `sssd`, `nslcd`, `kinit`, `ldapsearch`, `libldap*.so*`, `libkrb5*.so*`, `libradcli*.so*`, `wpa_supplicant` |
//!
//! Regular files and symbolic links count (a BusyBox applet is a link to `busybox`); each name
//! is reported once per file tree.
//!
//! Vendor firmware often synchronises the clock inside its own programs. When a tree has none
//! of the time-sync programs above, its executables (under `bin`/`sbin` directories) are searched
//! for NTP strings (`pool.ntp.org`, `time.nist.gov`, `time.windows.com`, `ntp_server`,
//! `ntpserver`, `NTPServer`, `sntp`); a match is recorded as `<program> (NTP strings)`.

use std::collections::BTreeSet;

use hallmark_model::facts::{Coverage, Facts, Tool, ToolCategory};

use crate::{Collector, Image, Options, coverage};

/// Records [`Tool`] facts.
pub(crate) struct InventoryCollector;

/// Exact file names, by category.
const NAMES: &[(ToolCategory, &[&str])] = &[
    (
        ToolCategory::Debug,
        &[
            "gdb",
            "gdbserver",
            "strace",
            "ltrace",
            "tcpdump",
            "valgrind",
            "perf",
            "devmem",
            "devmem2",
            "memtester",
            "tddp",
            "ftrace",
        ],
    ),
    (ToolCategory::Netcat, &["nc", "netcat", "ncat", "socat"]),
    (
        ToolCategory::TimeSync,
        &[
            "ntpd",
            "ntpclient",
            "ntpdate",
            "sntp",
            "chronyd",
            "openntpd",
            "systemd-timesyncd",
            "htpdate",
        ],
    ),
    (
        ToolCategory::Firewall,
        &[
            "iptables",
            "ip6tables",
            "iptables-restore",
            "nft",
            "fw3",
            "fw4",
            "ufw",
            "firewalld",
        ],
    ),
    (
        ToolCategory::AccessControl,
        &["apparmor_parser", "load_policy", "setenforce", "smackload"],
    ),
    (
        ToolCategory::Sandbox,
        &[
            "ujail",
            "bwrap",
            "firejail",
            "minijail0",
            "lxc-start",
            "runc",
            "crun",
            "containerd",
            "dockerd",
        ],
    ),
    (
        ToolCategory::Encryption,
        &[
            "cryptsetup",
            "fscrypt",
            "fscryptctl",
            "mount.ecryptfs",
            "dm-crypt.ko",
        ],
    ),
    (
        ToolCategory::Integrity,
        &["veritysetup", "dm-verity.ko", "evmctl", "avbctl"],
    ),
    (
        ToolCategory::Tpm,
        &[
            "tcsd",
            "tpm_version",
            "keylime_agent",
            "tpm.ko",
            "tpm_crb.ko",
        ],
    ),
    (
        ToolCategory::Lockout,
        &[
            "pam_faillock.so",
            "pam_tally2.so",
            "pam_tally.so",
            "fail2ban-server",
            "sshguard",
        ],
    ),
    (
        ToolCategory::Identity,
        &[
            "pam_ldap.so",
            "pam_radius_auth.so",
            "pam_krb5.so",
            "pam_sss.so",
            "sssd",
            "nslcd",
            "kinit",
            "ldapsearch",
            "wpa_supplicant",
        ],
    ),
    (
        ToolCategory::Monitoring,
        &[
            "snmpd",
            "lldpd",
            "ladvd",
            "softflowd",
            "fprobe",
            "hsflowd",
            "pmacctd",
            "collectd",
            "telegraf",
            "node_exporter",
        ],
    ),
];

/// File-name prefixes, by category (`tpm2_pcrread`, `libldap-2.5.so.0`).
const PREFIXES: &[(ToolCategory, &str)] = &[
    (ToolCategory::Tpm, "tpm2_"),
    (ToolCategory::Tpm, "tpm_tis"),
    (ToolCategory::Identity, "libldap"),
    (ToolCategory::Identity, "libkrb5"),
    (ToolCategory::Identity, "libradcli"),
];

/// Directories whose files are policies of a category.
const POLICY_DIRS: &[(ToolCategory, &str)] = &[
    (ToolCategory::AccessControl, "/etc/apparmor.d/"),
    (ToolCategory::AccessControl, "/etc/selinux/"),
    (ToolCategory::Sandbox, "/etc/seccomp/"),
    (ToolCategory::Integrity, "/etc/ima/"),
];

fn category_of(name: &str, path: &str) -> Option<ToolCategory> {
    if let Some((category, _)) = NAMES.iter().find(|(_, names)| names.contains(&name)) {
        return Some(*category);
    }
    if let Some((category, _)) = PREFIXES
        .iter()
        .find(|(_, prefix)| name.starts_with(prefix) && name.len() > prefix.len())
    {
        // A library counts, not its headers or documentation.
        let library = name.contains(".so") || !name.starts_with("lib");
        return library.then_some(*category);
    }
    POLICY_DIRS
        .iter()
        .find(|(_, dir)| path.starts_with(dir))
        .map(|(category, _)| *category)
}

/// Strings that show a program synchronises time itself.
const NTP_STRINGS: &[&str] = &[
    "pool.ntp.org",
    "time.nist.gov",
    "time.windows.com",
    "ntp_server",
    "ntpserver",
    "NTPServer",
    "sntp",
];

/// Largest program searched for NTP strings.
const MAX_SEARCH_BYTES: usize = 16 << 20;

/// Whether a path is in a directory of programs.
fn in_program_dir(path: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(dir, _)| dir.ends_with("/bin") || dir.ends_with("/sbin"))
}

impl Collector for InventoryCollector {
    fn id(&self) -> &'static str {
        "inventory"
    }

    fn description(&self) -> &'static str {
        "notable tools by purpose: debug tools, netcat, time sync, firewall, access control, sandboxes, encryption, integrity, TPM, login lockout, enterprise identity"
    }

    fn collect(&self, image: &Image<'_>, _options: &Options, facts: &mut Facts) -> Coverage {
        let mut examined = 0u64;
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for file in image.nodes() {
            let is_link = matches!(file.node.kind, hallmark_unpack::NodeKind::Symlink { .. });
            if !file.is_file() && !is_link {
                continue;
            }
            examined = examined.saturating_add(1);
            let path = image.rootfs_path(&file);
            let name = file.name();
            let Some(category) = category_of(name, path) else {
                continue;
            };
            // One record per name and tree (a policy directory: one per file).
            let key = if POLICY_DIRS.iter().any(|(_, d)| path.starts_with(d)) {
                path.to_owned()
            } else {
                name.to_owned()
            };
            if !seen.insert((file.layer.to_string(), key)) {
                continue;
            }
            facts.tools.push(Tool {
                category,
                name: name.to_owned(),
                location: file.location(),
            });
        }
        self.ntp_in_programs(image, facts);
        coverage(image, examined, Vec::new())
    }
}

impl InventoryCollector {
    /// In each tree without a time-sync program, the programs that carry NTP strings.
    fn ntp_in_programs(&self, image: &Image<'_>, facts: &mut Facts) {
        let finder = aho_corasick::AhoCorasick::new(NTP_STRINGS).ok();
        let Some(finder) = finder else { return };
        let with_client: BTreeSet<String> = facts
            .tools
            .iter()
            .filter(|t| t.category == ToolCategory::TimeSync)
            .filter_map(|t| match &t.location {
                hallmark_model::Location::Image { chain, .. } => Some(format!("{chain:?}")),
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        for file in image.files() {
            let path = image.rootfs_path(&file);
            let bytes = file.bytes();
            if !in_program_dir(path)
                || !bytes.starts_with(b"\x7fELF")
                || bytes.len() > MAX_SEARCH_BYTES
            {
                continue;
            }
            let location = file.location();
            let tree = match &location {
                hallmark_model::Location::Image { chain, .. } => format!("{chain:?}"),
                _ => String::new(),
            };
            if with_client.contains(&tree) || !finder.is_match(bytes) {
                continue;
            }
            found.push(Tool {
                category: ToolCategory::TimeSync,
                name: format!("{} (NTP strings)", file.name()),
                location,
            });
        }
        facts.tools.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_unpack::{Entry, FileTree};

    #[test]
    fn finds_tools_by_name_link_prefix_and_policy_directory() {
        let mut tree = FileTree::new();
        tree.add(Entry::dir("/etc"));
        tree.add(Entry::file("/bin/busybox", b"\x7fELF".to_vec()));
        tree.add(Entry::symlink("/usr/bin/nc", "/bin/busybox"));
        tree.add(Entry::symlink("/usr/sbin/ntpd", "../../bin/busybox"));
        tree.add(Entry::file("/usr/bin/gdbserver", b"\x7fELF".to_vec()));
        tree.add(Entry::file("/usr/bin/tpm2_pcrread", b"\x7fELF".to_vec()));
        tree.add(Entry::file(
            "/usr/lib/libldap-2.5.so.0",
            b"\x7fELF".to_vec(),
        ));
        tree.add(Entry::file("/usr/include/libldap.h", b"".to_vec()));
        tree.add(Entry::file(
            "/lib/security/pam_faillock.so",
            b"\x7fELF".to_vec(),
        ));
        tree.add(Entry::file(
            "/etc/apparmor.d/usr.sbin.httpd",
            b"profile".to_vec(),
        ));
        tree.add(Entry::file(
            "/etc/apparmor.d/usr.sbin.sshd",
            b"profile".to_vec(),
        ));
        tree.add(Entry::file("/usr/share/doc/strace.txt", b"".to_vec()));
        tree.add(Entry::file("/sbin/ntpd", b"\x7fELF".to_vec()));
        let facts = crate::tests::collect_tree(tree, &InventoryCollector);
        let got: Vec<String> = facts
            .tools
            .iter()
            .map(|t| format!("{:?} {}", t.category, t.name))
            .collect();
        assert_eq!(
            got,
            vec![
                "AccessControl usr.sbin.httpd",
                "AccessControl usr.sbin.sshd",
                "Lockout pam_faillock.so",
                "TimeSync ntpd",
                "Debug gdbserver",
                "Netcat nc",
                "Tpm tpm2_pcrread",
                "Identity libldap-2.5.so.0",
            ]
        );
        // A tree with an NTP client is not searched for NTP strings.
        assert!(!got.iter().any(|g| g.contains("NTP strings")));
        // ntpd once per tree, at the first path in tree order (/sbin before /usr).
        assert!(facts.tools.iter().any(|t| t.name == "ntpd"
            && matches!(&t.location, hallmark_model::Location::Image { path: Some(p), .. } if p == "/sbin/ntpd")));
        assert_eq!(
            facts.coverage["inventory"].status,
            hallmark_model::facts::CoverageStatus::Complete
        );
    }

    #[test]
    fn vendor_programs_with_ntp_strings_count_as_time_sync() {
        let mut tree = FileTree::new();
        tree.add(Entry::dir("/etc"));
        tree.add(Entry::file(
            "/usr/bin/httpd",
            b"\x7fELF...sntp_server pool.ntp.org".to_vec(),
        ));
        tree.add(Entry::file("/usr/bin/other", b"\x7fELF...nothing".to_vec()));
        tree.add(Entry::file("/etc/ntp.txt", b"pool.ntp.org".to_vec()));
        let facts = crate::tests::collect_tree(tree, &InventoryCollector);
        let got: Vec<&str> = facts.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(got, vec!["httpd (NTP strings)"]);
    }
}
