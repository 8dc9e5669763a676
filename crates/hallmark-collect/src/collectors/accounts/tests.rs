use super::*;
use hallmark_model::facts::{CoverageStatus, HashScheme};
use hallmark_unpack::Entry as TreeEntry;

use crate::tests::collect_tree;

fn tree(files: &[(&str, &[u8])]) -> FileTree {
    let mut tree = FileTree::new();
    for (path, content) in files {
        tree.add(TreeEntry::file(*path, content.to_vec()));
    }
    tree
}

fn collect(files: &[(&str, &[u8])]) -> Facts {
    collect_tree(tree(files), &AccountsCollector)
}

/// Path and line (or offset) of a location.
fn at(location: &Location) -> (String, Option<u32>, Option<u64>) {
    match location {
        Location::Image {
            path, line, offset, ..
        } => (path.clone().unwrap_or_default(), *line, *offset),
        other => panic!("{other:?}"),
    }
}

fn account<'f>(facts: &'f Facts, name: &str, path: &str) -> &'f Account {
    facts
        .accounts
        .iter()
        .find(|a| a.name == name && at(&a.location).0 == path)
        .unwrap_or_else(|| panic!("no {name} at {path} in {:#?}", facts.accounts))
}

fn cracked(account: &Account) -> Option<(&str, &str)> {
    match &account.password {
        Password::Hash {
            crack: Crack::Found { password, source },
            ..
        } => Some((password, source)),
        _ => None,
    }
}

fn scheme(account: &Account) -> Option<HashScheme> {
    match &account.password {
        Password::Hash { scheme, .. } => Some(*scheme),
        _ => None,
    }
}

// ---- file names ----

#[test]
fn file_roles_and_stems() {
    let r = |n: &str| role(n);
    assert_eq!(r("passwd"), Some((Role::Passwd, "*".into())));
    assert_eq!(r("passwd-"), Some((Role::Passwd, "*-".into())));
    assert_eq!(r("shadow-"), Some((Role::Shadow, "*-".into())));
    assert_eq!(r("passwd.bak"), Some((Role::Passwd, "*.bak".into())));
    assert_eq!(r("shadow.bak"), Some((Role::Shadow, "*.bak".into())));
    assert_eq!(r("passwd.orig"), Some((Role::Passwd, "*.orig".into())));
    assert_eq!(r("master.passwd"), Some((Role::Passwd, "master.*".into())));
    assert_eq!(r(".htpasswd"), Some((Role::Passwd, ".ht*".into())));
    assert_eq!(r("group"), Some((Role::Group, "*".into())));
    assert_eq!(r("group-"), Some((Role::Group, "*-".into())));
    assert_eq!(r("group.bak"), Some((Role::Group, "*.bak".into())));
    for skipped in [
        "gshadow",
        "gshadow-",
        "groups",
        "passwd.c",
        "passwd.list",
        "passwd.5",
        "shadow.sh",
        "passwd.md5sums",
        "passwords.txt.gz",
        "mkpasswd.py",
    ] {
        assert_eq!(r(skipped), None, "{skipped}");
    }
}

// ---- line parser quirks ----

#[test]
fn passwd_lines() {
    let p = |l: &str| parse_line(l, Role::Passwd);
    assert_eq!(
        p("root:x:0:0:root:/root:/bin/sh"),
        Some(Line::Passwd {
            name: "root".into(),
            password: "x".into(),
            uid: Some(0),
            gid: Some(0),
            shell: Some("/bin/sh".into()),
        })
    );
    // CRLF, a missing shell, missing fields, a trailing colon.
    assert!(
        matches!(p("root:x:0:0:root:/root:/bin/sh\r"), Some(Line::Passwd { shell: Some(s), .. }) if s == "/bin/sh")
    );
    assert!(matches!(
        p("root:x:0:0:root:/root:"),
        Some(Line::Passwd { shell: None, .. })
    ));
    assert!(matches!(
        p("root::0:0"),
        Some(Line::Passwd {
            uid: Some(0),
            gid: Some(0),
            shell: None,
            ..
        })
    ));
    assert!(matches!(
        p("root::0"),
        Some(Line::Passwd {
            uid: Some(0),
            gid: None,
            ..
        })
    ));
    assert!(
        matches!(p("root:x:0:0:root:/root:/bin/sh:"), Some(Line::Passwd { shell: Some(s), .. }) if s == "/bin/sh")
    );
    // BSD master.passwd.
    assert!(matches!(
        p("root:$2b$08$abcdefghijklmnopqrstuuVb0K1D9gaYbl6tk0bu1yY9W7P4E9xNK:0:0::0:0:Charlie &:/root:/bin/csh"),
        Some(Line::Passwd { uid: Some(0), shell: Some(s), .. }) if s == "/bin/csh"
    ));
    // Junk, comments, NIS, names with spaces, non-numeric uid, binary-ish.
    for junk in [
        "",
        "   ",
        "# root:x:0:0:root:/root:/bin/sh",
        "+::::::",
        "+@admins",
        "-baduser:::::",
        "local ppwd=\"$(sed -ne '/^root:/s/^root:\\([^:]*\\):.*$/\\1/p' /etc/passwd)\"",
        "root:x:zero:0:root:/root:/bin/sh",
        "foo:bar:baz",
        "a:b:c:d:e:f:g:h:i:j:k:l",
        "just text",
        "passwd: setuid-binary usr/bin/passwd 4755 root/root",
    ] {
        assert_eq!(p(junk), None, "{junk:?}");
    }
}

#[test]
fn shadow_lines() {
    let s = |l: &str| parse_line(l, Role::Shadow);
    assert_eq!(
        s("root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:19723:0:99999:7:::"),
        Some(Line::Shadow {
            name: "root".into(),
            password: "$1$fwT3st01$gn4KuuLCKMxebePE90.h5/".into(),
        })
    );
    // Alpine's empty last-change field; eight fields; truncated lines in a shadow file.
    assert!(matches!(s("root:*::0:::::"), Some(Line::Shadow { .. })));
    assert!(matches!(
        s("root:*:19723:0:99999:7::"),
        Some(Line::Shadow { .. })
    ));
    assert!(matches!(
        s("root:abWMpd9uBwR.g:10933"),
        Some(Line::Shadow { .. })
    ));
    // Shadow lines in a file named like passwd are still shadow lines (by field count).
    assert!(matches!(
        parse_line("root::10933:0:99999:7:::", Role::Passwd),
        Some(Line::Shadow { .. })
    ));
    assert_eq!(s("root:x:notanumber:0:99999:7:::"), None);
}

#[test]
fn name_hash_pairs_only_when_the_hash_is_real() {
    let p = |l: &str| parse_line(l, Role::Passwd);
    assert!(matches!(
        p("max:$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1"),
        Some(Line::Pair { .. })
    ));
    assert!(matches!(
        p("admin:{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc="),
        Some(Line::Pair { .. })
    ));
    // FACT_core's false-positive control lines.
    for fp in [
        "user1:$.su.CHAR.SOMETEXT.FOO_BAR_FOOBAR,regex$",
        "user2:$.su.encrypt,encryptParam$",
        "user5:$n,shares$",
        "user6:$scope.hasSwitch==\\\"false\\\"?false$",
        "admin:admin",
        "admin:",
    ] {
        assert_eq!(p(fp), None, "{fp}");
    }
}

#[test]
fn password_states() {
    assert_eq!(classify("").0, Password::Empty);
    for locked in [
        "*",
        "!",
        "!!",
        "!$1$fwT3st01$gn4KuuLCKMxebePE90.h5/",
        "x",
        "*LK*",
        "*NP*",
        "NP",
        "LK",
        "!*",
    ] {
        assert_eq!(
            classify(locked).0,
            Password::Locked {
                field: locked.into()
            },
            "{locked}"
        );
    }
    for unrecognised in ["iCDxYDfeF4MZL.H3/", "admin", "1234", "$1$bad", "X"] {
        assert_eq!(
            classify(unrecognised).0,
            Password::Unrecognised {
                field: unrecognised.into()
            },
            "{unrecognised}"
        );
    }
    assert!(matches!(
        classify("abWMpd9uBwR.g"),
        (
            Password::Hash {
                scheme: HashScheme::Des,
                ..
            },
            Some(_)
        )
    ));
}

// ---- whole images ----

const ROUTER_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
support:x:0:0:support:/root:/bin/sh
operator:x:1000:1000:operator:/home/operator:/bin/sh
guest:x:1001:1001:guest:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
";
const ROUTER_SHADOW: &str = "root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:19723:0:99999:7:::
daemon:*:19723:0:99999:7:::
support:$6$Sup0rtSalt01$00YnQBZuUMxQktlXIGQS.hKr0Cp26IQ85qx56uKsKUXDXVnTKSyIfpHgK9DgOOfYxnf5rmFilgVX/GO6G.vCm1:19723:0:99999:7:::
operator:$6$OperSalt0001$2nVtmIr2oxDYkZ/xCVIceDucN6sQyHlEhxmYG.4ZmHNbe8vmoiZ8EbeAzgCKmlhmsgQ8UI9VE3ViE7P6340HD/:19723:0:99999:7:::
guest::19723:0:99999:7:::
nobody:*:19723:0:99999:7:::
";

/// The account files of the synthetic router-armhf image (squashfs; the same in its UBI and
/// ext4 siblings), as `unsquashfs` shows them.
#[test]
fn router_armhf_planted_findings() {
    let facts = collect(&[
        ("/etc/passwd", ROUTER_PASSWD.as_bytes()),
        ("/etc/shadow", ROUTER_SHADOW.as_bytes()),
        (
            "/etc/passwd.bak",
            b"admin:abWMpd9uBwR.g:0:0:admin:/:/bin/sh\n",
        ),
        ("/etc/group", b"root:x:0:\nnogroup:x:65534:\n"),
        ("/bin/sh", b"\x7fELF"),
    ]);
    assert_eq!(facts.accounts.len(), 7, "{:#?}", facts.accounts);
    let coverage = facts.coverage("accounts").unwrap();
    assert_eq!(coverage.status, CoverageStatus::Complete, "{coverage:?}");
    assert_eq!(coverage.examined, 4);

    // F01: root, MD5-crypt of 'admin', read from shadow line 1, passwd line 1.
    let root = account(&facts, "root", "/etc/shadow");
    assert_eq!(at(&root.location), ("/etc/shadow".into(), Some(1), None));
    assert_eq!(
        at(root.passwd_location.as_ref().unwrap()),
        ("/etc/passwd".into(), Some(1), None)
    );
    assert_eq!(
        (root.uid, root.gid, root.shell.as_deref()),
        (Some(0), Some(0), Some("/bin/sh"))
    );
    assert_eq!(root.groups, vec!["root".to_owned()]);
    assert_eq!(scheme(root), Some(HashScheme::Md5));
    assert_eq!(cracked(root).map(|c| c.0), Some("admin"));

    // F02/F03: support, uid 0, SHA-512-crypt of its own name.
    let support = account(&facts, "support", "/etc/shadow");
    assert_eq!(support.uid, Some(0));
    assert_eq!(scheme(support), Some(HashScheme::Sha512));
    assert_eq!(cracked(support), Some(("support", "user name")));

    // F04: guest, empty.
    let guest = account(&facts, "guest", "/etc/shadow");
    assert_eq!(guest.password, Password::Empty);
    assert_eq!(guest.uid, Some(1001));

    // F05: the backup's admin, uid 0, DES of '1234', straight from passwd.bak.
    let admin = account(&facts, "admin", "/etc/passwd.bak");
    assert_eq!(
        at(&admin.location),
        ("/etc/passwd.bak".into(), Some(1), None)
    );
    assert_eq!(admin.passwd_location, None);
    assert_eq!(admin.uid, Some(0));
    assert_eq!(scheme(admin), Some(HashScheme::Des));
    assert_eq!(cracked(admin).map(|c| c.0), Some("1234"));
    // A lone passwd.bak takes the directory's group file.
    assert_eq!(admin.groups, vec!["root".to_owned()]);

    // F06 (negative control): operator's random SHA-512 password is not cracked.
    let operator = account(&facts, "operator", "/etc/shadow");
    assert_eq!(scheme(operator), Some(HashScheme::Sha512));
    assert!(
        matches!(&operator.password, Password::Hash { crack: Crack::NotFound { tried, full: false }, .. } if *tried > 300),
        "{:?}",
        operator.password
    );

    for locked in ["daemon", "nobody"] {
        assert_eq!(
            account(&facts, locked, "/etc/shadow").password,
            Password::Locked { field: "*".into() }
        );
    }
}

/// tplink-mt7628: `/etc/passwd` links to `/var/passwd` (made at boot from `passwd.bak`); the
/// backup has admin's MD5-crypt hash with an empty salt.
#[test]
fn tplink_mt7628_passwd_bak() {
    let mut t = tree(&[(
        "/etc/passwd.bak",
        b"admin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:root:/:/bin/sh\ndropbear:x:500:500:dropbear:/var/dropbear:/bin/sh\nnobody:*:0:0:nobody:/:/bin/sh\n",
    )]);
    t.add(TreeEntry::symlink("/etc/passwd", "/var/passwd"));
    let facts = collect_tree(t, &AccountsCollector);
    let admin = account(&facts, "admin", "/etc/passwd.bak");
    assert_eq!(scheme(admin), Some(HashScheme::Md5));
    assert_eq!(cracked(admin).map(|c| c.0), Some("1234"));
    assert_eq!(
        account(&facts, "dropbear", "/etc/passwd.bak").password,
        Password::Locked { field: "x".into() }
    );
    let coverage = facts.coverage("accounts").unwrap();
    assert_eq!(coverage.status, CoverageStatus::Partial);
    assert!(
        coverage
            .notes
            .iter()
            .any(|n| n.contains("/etc/passwd links to /var/passwd")),
        "{coverage:?}"
    );
    assert!(
        coverage.notes.iter().any(|n| n.contains("no shadow file")),
        "{coverage:?}"
    );
}

/// initramfs-mipsel: root's MD5-crypt hash directly in `/etc/passwd`, no shadow file.
#[test]
fn hash_directly_in_passwd() {
    let facts = collect(&[(
        "/etc/passwd",
        b"root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:0:0:root:/root:/bin/sh\ndaemon:*:1:1:daemon:/usr/sbin:/bin/false\n",
    )]);
    let root = account(&facts, "root", "/etc/passwd");
    assert_eq!(root.passwd_location, None);
    assert_eq!(cracked(root).map(|c| c.0), Some("admin"));
    assert_eq!(
        facts.coverage("accounts").unwrap().status,
        CoverageStatus::Complete
    );
}

/// dlink-dir615c: Admin's 17-character vendor string and empty shadow passwords.
#[test]
fn dlink_vendor_string_and_empty_passwords() {
    let facts = collect(&[
        ("/squashfs-root/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nAdmin:x:0:0:root:/root:/bin/sh\nap71:x:500:0:Linux User,,,:/root:/bin/sh\n\n"),
        ("/squashfs-root/etc/shadow", b"root::10933:0:99999:7:::\nAdmin:iCDxYDfeF4MZL.H3/:10933:0:99999:7:::\nap71::10933:0:99999:7:::\n"),
        ("/squashfs-root/etc/group", b"root:x:0:\nwheel:x:10:\n"),
    ]);
    let admin = account(&facts, "Admin", "/squashfs-root/etc/shadow");
    assert_eq!(admin.uid, Some(0));
    assert_eq!(
        admin.password,
        Password::Unrecognised {
            field: "iCDxYDfeF4MZL.H3/".into()
        }
    );
    assert_eq!(
        account(&facts, "ap71", "/squashfs-root/etc/shadow").password,
        Password::Empty
    );
    assert_eq!(
        account(&facts, "root", "/squashfs-root/etc/shadow").password,
        Password::Empty
    );
    assert_eq!(
        account(&facts, "ap71", "/squashfs-root/etc/shadow").groups,
        vec!["root".to_owned()]
    );
}

/// Backups pair with backups: `passwd-` with `shadow-`, `passwd` with `shadow`.
#[test]
fn backups_pair_with_their_own_shadow() {
    let facts = collect(&[
        ("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
        ("/etc/shadow", b"root:!:19723::::::\n"),
        ("/etc/passwd-", b"root:x:0:0::/root:/bin/sh\n"),
        (
            "/etc/shadow-",
            b"root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:19000::::::\n",
        ),
    ]);
    assert_eq!(facts.accounts.len(), 2);
    assert_eq!(
        account(&facts, "root", "/etc/shadow").password,
        Password::Locked { field: "!".into() }
    );
    let old = account(&facts, "root", "/etc/shadow-");
    assert_eq!(at(old.passwd_location.as_ref().unwrap()).0, "/etc/passwd-");
    assert_eq!(cracked(old).map(|c| c.0), Some("admin"));
}

/// A shadow entry with no passwd entry is still an account; a passwd hash wins over shadow, and
/// the unused shadow entry is kept too.
#[test]
fn unpaired_entries() {
    let facts = collect(&[
        (
            "/etc/passwd",
            b"root:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0::/root:/bin/sh\n",
        ),
        (
            "/etc/shadow",
            b"root:*:19723:0:99999:7:::\nghost:$1$$oCLuEVgI1iAqOA8pwkzAg1:19723:0:99999:7:::\n",
        ),
    ]);
    let root = account(&facts, "root", "/etc/passwd");
    assert_eq!(cracked(root).map(|c| c.0), Some("1234"));
    let shadow_root = account(&facts, "root", "/etc/shadow");
    assert_eq!(shadow_root.uid, Some(0));
    assert_eq!(
        at(shadow_root.passwd_location.as_ref().unwrap()).0,
        "/etc/passwd"
    );
    let ghost = account(&facts, "ghost", "/etc/shadow");
    assert_eq!((ghost.uid, &ghost.passwd_location), (None, &None));
    assert_eq!(cracked(ghost).map(|c| c.0), Some("root"));
}

#[test]
fn crlf_comments_junk_and_symlinked_shadow() {
    let mut t = tree(&[
        ("/etc/passwd", b"# users\r\nroot:x:0:0:root:/root:/bin/ash\r\n\r\ngarbage line\r\n+::::::\r\nuser:x:1000:100:,,,:/home/user:/bin/sh\r\n"),
        ("/etc/config/shadow", b"root:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:99999:7:::\r\n"),
    ]);
    t.add(TreeEntry::symlink("/etc/shadow", "config/shadow"));
    let facts = collect_tree(t, &AccountsCollector);
    // The shadow content is found through the link and located at the link's target.
    let root = account(&facts, "root", "/etc/config/shadow");
    assert_eq!(at(&root.location).1, Some(1));
    assert_eq!(
        at(root.passwd_location.as_ref().unwrap()),
        ("/etc/passwd".into(), Some(2), None)
    );
    assert_eq!(root.shell.as_deref(), Some("/bin/ash"));
    assert_eq!(cracked(root).map(|c| c.0), Some("1234"));
    let user = account(&facts, "user", "/etc/passwd");
    assert_eq!(at(&user.location).1, Some(6));
    assert_eq!(user.password, Password::Locked { field: "x".into() });
    assert_eq!(facts.accounts.len(), 2);
}

/// FACT_core's `passwd.bin`: entries between binary bytes, located by offset.
#[test]
fn entries_inside_binary_files() {
    let mut bytes = b"\xfa\xaf\xbc".to_vec();
    bytes.extend_from_slice(b"johndoe:$6$HcGU0JUp$LbTjc1Ai4TcTwZRi5sRyObUUHsRHtEj6YXTgduYpESFRYMZrfzZCspg2flG78QGwaqe8GSf8NLfE7tTVOUpSc1");
    bytes.extend_from_slice(b"\xcc\xbb\xaa");
    bytes.extend_from_slice(b"max:$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1");
    bytes.extend_from_slice(b"\xcf\xfc\xab");
    let facts = collect(&[("/etc/passwd.bin", &bytes)]);
    let john = account(&facts, "johndoe", "/etc/passwd.bin");
    assert_eq!(
        at(&john.location),
        ("/etc/passwd.bin".into(), None, Some(3))
    );
    assert_eq!(cracked(john).map(|c| c.0), Some("123456"));
    let max = account(&facts, "max", "/etc/passwd.bin");
    assert_eq!(cracked(max).map(|c| c.0), Some("dragon"));
    assert_eq!(facts.accounts.len(), 2);
}

#[test]
fn scripts_elf_and_false_positives_are_not_accounts() {
    let facts = collect(&[
        ("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
        (
            "/usr/bin/passwd",
            b"\x7fELF\x01\x01\x01root:x:0:0:root:/root:/bin/sh\n",
        ),
        (
            "/etc/uci-defaults/10_migrate-shadow",
            b"#!/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n",
        ),
        (
            "/etc/pam.d/passwd",
            b"password required pam_unix.so sha512 shadow nullok\n",
        ),
        (
            "/www/passwd_FP_test",
            b"user1:$.su.CHAR.SOMETEXT.FOO_BAR_FOOBAR,regex$\nuser5:$n,shares$\n",
        ),
        ("/etc/gshadow", b"root:*::\n"),
    ]);
    assert_eq!(facts.accounts.len(), 1, "{:#?}", facts.accounts);
}

/// A configuration overlay (a separate tree, e.g. a JFFS2 partition) holds `/etc/shadow` for
/// the rootfs `/etc/passwd`.
#[test]
fn overlay_shadow_in_another_tree() {
    let rootfs = tar(&[
        ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n".as_slice()),
        ("bin/sh", b"\x7fELF"),
    ]);
    let config = tar(&[(
        "etc/shadow",
        b"root:$1$cfgS4lt0$uA6W8YHrF7/uWolZDzJji.:19723:0:99999:7:::\n".as_slice(),
    )]);
    let image = tar(&[
        ("rootfs.tar", rootfs.as_slice()),
        ("config.tar", config.as_slice()),
    ]);
    let unpacked = hallmark_unpack::Unpacker::new(hallmark_unpack::Limits::default())
        .unpack_bytes("fw.bin", image);
    let facts = crate::collect(&unpacked, &Options::default());
    assert_eq!(
        facts.accounts.len(),
        1,
        "{:#?}\n{}",
        facts.accounts,
        unpacked.listing()
    );
    let root = &facts.accounts[0];
    assert_eq!(at(&root.location).0, "/etc/shadow");
    assert_eq!(at(root.passwd_location.as_ref().unwrap()).0, "/etc/passwd");
    assert_ne!(
        chain(&root.location),
        chain(root.passwd_location.as_ref().unwrap())
    );
    assert_eq!(root.uid, Some(0));
    assert_eq!(cracked(root).map(|c| c.0), Some("1234"));
}

#[test]
fn no_account_files_is_partial() {
    let facts = collect(&[("/bin/sh", b"\x7fELF")]);
    assert!(facts.accounts.is_empty());
    assert_eq!(
        facts.coverage("accounts").unwrap().status,
        CoverageStatus::Partial
    );
}

#[test]
fn the_same_hash_is_cracked_once_and_reported_everywhere() {
    let line = b"root:$1$fwT3st01$gn4KuuLCKMxebePE90.h5/:0:0:root:/root:/bin/sh\n";
    let facts = collect(&[
        ("/etc/passwd", line),
        ("/etc/passwd-", line),
        ("/rom/etc/passwd", line),
    ]);
    assert_eq!(facts.accounts.len(), 3);
    assert!(
        facts
            .accounts
            .iter()
            .all(|a| cracked(a).map(|c| c.0) == Some("admin"))
    );
}

fn chain(location: &Location) -> Vec<hallmark_model::Layer> {
    match location {
        Location::Image { chain, .. } => chain.clone(),
        _ => Vec::new(),
    }
}

/// A ustar archive of regular files.
fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        let mut put =
            |at: usize, text: &str| header[at..at + text.len()].copy_from_slice(text.as_bytes());
        put(100, "0000644\0");
        put(108, "0000000\0");
        put(116, "0000000\0");
        put(124, &format!("{:011o}\0", data.len()));
        put(136, "00000000000\0");
        put(148, "        ");
        put(156, "0");
        put(257, "ustar\0");
        put(263, "00");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Random mixtures of account-file fragments and bytes never panic, and every account found
/// has a name and a location in one of the files.
#[test]
fn hostile_input_does_not_panic() {
    const PIECES: &[&[u8]] = &[
        b":",
        b"::",
        b"\n",
        b"\r\n",
        b"$",
        b"$1$",
        b"$6$",
        b"$5$rounds=",
        b"$2b$",
        b"$y$",
        b"$y$j9T$",
        b"$apr1$",
        b"{SHA}",
        b"{SSHA}",
        b"root",
        b"x",
        b"*",
        b"!",
        b"0",
        b"4294967296",
        b"/bin/sh",
        b"#",
        b"+",
        b"\0",
        b"\xff\xfe",
        b"\xc3",
        b"abWMpd9uBwR.g",
        b"iC.dUsGpxNNJGeOm1dFio/",
        b"=",
        b"AAAA",
        b"./",
        b" ",
        b"\t",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let options = Options {
        crack_budget: 2_000,
        ..Options::default()
    };
    for _ in 0..200 {
        let mut files = Vec::new();
        for name in [
            "/etc/passwd",
            "/etc/shadow",
            "/etc/group",
            "/etc/passwd.bin",
        ] {
            let mut content = Vec::new();
            for _ in 0..next() % 60 {
                let piece = PIECES[(next() % PIECES.len() as u64) as usize];
                content.extend_from_slice(piece);
            }
            files.push((name, content));
        }
        let mut t = FileTree::new();
        for (name, content) in &files {
            t.add(TreeEntry::file(*name, content.clone()));
        }
        let unpacked = hallmark_unpack::Unpacked::from_tree("fuzz.bin", t);
        let image = Image::new(&unpacked);
        let mut facts = Facts::default();
        AccountsCollector.collect(&image, &options, &mut facts);
        for a in &facts.accounts {
            assert!(!a.name.is_empty());
            assert!(files.iter().any(|(n, _)| *n == at(&a.location).0), "{a:?}");
        }
    }
}
