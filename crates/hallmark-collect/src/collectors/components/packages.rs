//! Package databases: opkg/ipkg status and control files, dpkg status, apk installed db, and
//! the file lists that say which package owns which file.

/// Which package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Manager {
    Opkg,
    Dpkg,
    Apk,
}

/// One package entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Package {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) arch: Option<String>,
    /// The source package (dpkg `Source:`, opkg `Source:`'s last part, apk origin `o:`).
    pub(super) source: Option<String>,
    /// 1-based line of the entry's name.
    pub(super) line: usize,
    /// Files it owns (absolute paths), when the database lists them (apk).
    pub(super) files: Vec<String>,
}

/// What kind of package-database file a rootfs path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DbFile {
    /// A status file (every installed package).
    Status(Manager),
    /// One package's control file (opkg `info/<name>.control`).
    Control,
    /// One package's file list (`info/<name>.list`).
    List(Manager, String),
}

/// Classifies a path relative to its rootfs.
pub(super) fn classify(path: &str) -> Option<DbFile> {
    match path {
        "/usr/lib/opkg/status"
        | "/var/lib/opkg/status"
        | "/usr/lib/ipkg/status"
        | "/var/lib/ipkg/status" => return Some(DbFile::Status(Manager::Opkg)),
        "/var/lib/dpkg/status" => return Some(DbFile::Status(Manager::Dpkg)),
        "/lib/apk/db/installed" => return Some(DbFile::Status(Manager::Apk)),
        _ => {}
    }
    for dir in [
        "/usr/lib/opkg/info/",
        "/var/lib/opkg/info/",
        "/usr/lib/ipkg/info/",
        "/var/lib/ipkg/info/",
    ] {
        if let Some(name) = path.strip_prefix(dir) {
            if name.strip_suffix(".control").is_some_and(plain) {
                return Some(DbFile::Control);
            }
            if let Some(package) = name.strip_suffix(".list").filter(|n| plain(n)) {
                return Some(DbFile::List(Manager::Opkg, package.to_owned()));
            }
        }
    }
    let name = path.strip_prefix("/var/lib/dpkg/info/")?;
    let package = name.strip_suffix(".list").filter(|n| plain(n))?;
    // `libc6:armhf.list` for multi-arch packages.
    let package = package.split(':').next().unwrap_or(package);
    Some(DbFile::List(Manager::Dpkg, package.to_owned()))
}

/// A file name without a directory part, not empty.
fn plain(name: &str) -> bool {
    !name.is_empty() && !name.contains('/')
}

/// Whether a status says the package's files are on the system (dpkg's and opkg's third
/// word: `installed`, or a state after unpacking).
fn installed(status: &str) -> bool {
    matches!(
        status.split_whitespace().nth(2),
        Some(
            "installed" | "unpacked" | "half-configured" | "triggers-awaited" | "triggers-pending"
        )
    )
}

/// Parses dpkg/opkg stanzas (`Field: value` lines, blank-line separated). With
/// `check_status`, entries whose `Status:` is not installed are left out (a status file);
/// control files carry no meaningful status.
pub(super) fn parse_stanzas(text: &str, check_status: bool, limit: usize) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut current = Package::default();
    let mut status: Option<String> = None;
    let mut flush = |current: &mut Package, status: &mut Option<String>| {
        let package = std::mem::take(current);
        let status = status.take();
        if package.name.is_empty() || package.version.is_empty() || packages.len() >= limit {
            return;
        }
        if check_status && !status.as_deref().is_some_and(installed) {
            return;
        }
        packages.push(package);
    };
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut current, &mut status);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field {
            "Package" => {
                if !current.name.is_empty() {
                    flush(&mut current, &mut status);
                }
                current.name = value.to_owned();
                current.line = number.saturating_add(1);
            }
            "Version" => current.version = value.to_owned(),
            "Architecture" => current.arch = Some(value.to_owned()).filter(|a| !a.is_empty()),
            "Status" => status = Some(value.to_owned()),
            "Source" => {
                // dpkg: `openssl (1.1.1w-0)`; opkg: `package/libs/openssl`.
                let first = value.split_whitespace().next().unwrap_or("");
                let last = first.rsplit('/').next().unwrap_or(first);
                current.source = Some(last.to_owned()).filter(|s| !s.is_empty());
            }
            _ => {}
        }
    }
    flush(&mut current, &mut status);
    packages
}

/// Parses apk's `installed` database (`X:value` lines, blank-line separated; `F:` a
/// directory, `R:` a file in it).
pub(super) fn parse_apk(text: &str, limit: usize) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut current = Package::default();
    let mut dir = String::new();
    let mut flush = |current: &mut Package| {
        let package = std::mem::take(current);
        if !package.name.is_empty() && !package.version.is_empty() && packages.len() < limit {
            packages.push(package);
        }
    };
    for (number, line) in text.lines().enumerate() {
        if line.is_empty() {
            flush(&mut current);
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => {
                if !current.name.is_empty() {
                    flush(&mut current);
                }
                current.name = value.to_owned();
                current.line = number.saturating_add(1);
            }
            "V" => current.version = value.to_owned(),
            "A" => current.arch = Some(value.to_owned()).filter(|a| !a.is_empty()),
            "o" => current.source = Some(value.to_owned()).filter(|s| !s.is_empty()),
            "F" => dir = value.trim_matches('/').to_owned(),
            "R" if !value.is_empty() && !value.contains('/') => {
                let path = if dir.is_empty() {
                    format!("/{value}")
                } else {
                    format!("/{dir}/{value}")
                };
                current.files.push(path);
            }
            _ => {}
        }
    }
    flush(&mut current);
    packages
}

/// A file list: one absolute path a line (opkg may add a tab and the mode).
pub(super) fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split('\t').next())
        .map(str::trim_end)
        .filter(|p| p.starts_with('/') && p.len() > 1)
        .map(|p| p.trim_end_matches('/').to_owned())
        .collect()
}

/// The upstream part of a package version: without the epoch (`1:`) and the package
/// revision (`-6+b3`, `-r15`, `-1`).
pub(super) fn upstream(version: &str) -> &str {
    let without_epoch = match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => {
            rest
        }
        _ => version,
    };
    match without_epoch.rsplit_once('-') {
        Some((up, _)) if !up.is_empty() => up,
        _ => without_epoch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_versions() {
        assert_eq!(upstream("1:1.30.1-6+b3"), "1.30.1");
        assert_eq!(upstream("1.36.1-r15"), "1.36.1");
        assert_eq!(upstream("1.1.1w-0+deb11u1"), "1.1.1w");
        assert_eq!(upstream("2017.75-1"), "2017.75");
        assert_eq!(upstream("20241121"), "20241121");
        assert_eq!(upstream("-1"), "-1");
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify("/usr/lib/opkg/status"),
            Some(DbFile::Status(Manager::Opkg))
        );
        assert_eq!(
            classify("/usr/lib/opkg/info/busybox.control"),
            Some(DbFile::Control)
        );
        assert_eq!(
            classify("/var/lib/dpkg/info/libc6:armhf.list"),
            Some(DbFile::List(Manager::Dpkg, "libc6".into()))
        );
        assert_eq!(classify("/usr/lib/opkg/info/.control"), None);
        assert_eq!(classify("/etc/passwd"), None);
    }

    #[test]
    fn stanzas_skip_removed_packages_and_continuations() {
        let text = "Package: a\nVersion: 1.0-1\nStatus: install ok installed\nDescription: x\n y: z\n\nPackage: b\nVersion: 2\nStatus: deinstall ok config-files\n\nPackage: c\nStatus: install ok installed\n";
        let packages = parse_stanzas(text, true, 100);
        assert_eq!(packages.len(), 1);
        assert_eq!((packages[0].name.as_str(), packages[0].line), ("a", 1));
        // Without the status check (a control file) the removed one counts; `c` has no
        // version and never does.
        assert_eq!(parse_stanzas(text, false, 100).len(), 2);
        assert_eq!(parse_stanzas(text, false, 1).len(), 1);
    }

    #[test]
    fn apk_files() {
        let text = "P:busybox\nV:1.37.0-r18\nA:aarch64\no:busybox\nF:bin\nR:busybox\nF:etc\nR:securetty\n\nP:x\n";
        let packages = parse_apk(text, 10);
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].files, ["/bin/busybox", "/etc/securetty"]);
        assert_eq!(packages[0].source.as_deref(), Some("busybox"));
    }
}
