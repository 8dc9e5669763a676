//! The accounts collector on the shared corpus.
//!
//! - Synthetic images: every planted account finding of the manifest (`weak_password_hash`,
//!   `weak_password`, `empty_password`, `duplicate_uid0`) is recorded, and the account
//!   `negative_control`s are neither cracked nor empty. Images the unpacker cannot read yet are
//!   listed in [`PENDING`]; a pending image that starts passing fails the test until it is
//!   removed from the list.
//! - Real images and FACT_core's fixtures: what their `SOURCE.md` says about accounts.
//!
//! Outside CI, a missing corpus skips with a notice; under `CI=true` it fails.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use hallmark_collect::{Options, collect};
use hallmark_model::Location;
use hallmark_model::facts::{Account, Crack, Facts, HashScheme, Password};
use hallmark_unpack::{Entry, FileTree, Limits, Unpacked, Unpacker};

/// Synthetic images whose account findings cannot be checked yet, with why.
const PENDING: &[(&str, &str)] = &[
    ("synthetic/config-jffs2/config-le.jffs2", "jffs2 reader"),
    ("synthetic/config-jffs2/config-be.jffs2", "jffs2 reader"),
    ("synthetic/nas-arm64-ext4/rootfs.ext4", "ext4 reader"),
    ("synthetic/router-armhf-ubi/rootfs.ubi", "UBI/UBIFS reader"),
    ("synthetic/router-armhf/rootfs.squashfs", "squashfs reader"),
    ("synthetic/router-armhf/firmware.bin", "uImage and squashfs"),
];

/// The shared corpus, or `None` (with a notice) when it is absent outside CI.
fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI needs the shared corpus at {}", dir.display());
    }
    eprintln!(
        "NOTICE: skipping accounts corpus tests; shared corpus absent at {}",
        dir.display()
    );
    None
}

fn facts_of(unpacked: &Unpacked) -> Facts {
    let start = Instant::now();
    let facts = collect(unpacked, &Options::default());
    eprintln!(
        "{}: {} accounts, collected in {:.2?}",
        unpacked.listing().lines().next().unwrap_or_default(),
        facts.accounts.len(),
        start.elapsed()
    );
    facts
}

fn unpack(path: &Path) -> Unpacked {
    Unpacker::new(Limits::default())
        .unpack_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn path_of(location: &Location) -> &str {
    match location {
        Location::Image { path, .. } => path.as_deref().unwrap_or_default(),
        other => panic!("{other:?}"),
    }
}

/// The account `name` read from a file whose rootfs path is `path` (a tree may hold the
/// rootfs under one top directory).
fn account<'f>(facts: &'f Facts, name: &str, path: &str) -> Option<&'f Account> {
    facts.accounts.iter().find(|a| {
        let p = path_of(&a.location);
        a.name == name && (p == path || p.ends_with(&format!("/{}", path.trim_start_matches('/'))))
    })
}

fn found(account: &Account) -> Option<&str> {
    match &account.password {
        Password::Hash {
            crack: Crack::Found { password, .. },
            ..
        } => Some(password),
        _ => None,
    }
}

/// Checks the planted account findings of one synthetic image; `Err` says what is missing.
fn check_manifest(facts: &Facts, manifest: &serde_json::Value) -> Result<usize, String> {
    let mut checked = 0;
    for f in manifest["planted_findings"].as_array().unwrap() {
        let category = f["category"].as_str().unwrap_or_default();
        let path = f["path"].as_str().unwrap_or_default();
        let Some(user) = f["user"].as_str() else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or_default();
        if !(name.contains("passwd") || name.contains("shadow")) {
            continue;
        }
        let id = f["id"].as_str().unwrap_or_default();
        let Some(a) = account(facts, user, path) else {
            return Err(format!("{id}: no account {user} from {path}"));
        };
        match category {
            "weak_password_hash" | "weak_password" => {
                let want = f["password"].as_str().unwrap();
                if found(a) != Some(want) {
                    return Err(format!(
                        "{id}: {user} not cracked as {want}: {:?}",
                        a.password
                    ));
                }
                if let Some(uid) = f["uid"].as_u64() {
                    if a.uid != u32::try_from(uid).ok() {
                        return Err(format!("{id}: {user} uid {:?}", a.uid));
                    }
                }
            }
            "empty_password" if a.password != Password::Empty => {
                return Err(format!("{id}: {user} not empty: {:?}", a.password));
            }
            "negative_control" if found(a).is_some() || a.password == Password::Empty => {
                return Err(format!(
                    "{id}: negative control {user} flagged: {:?}",
                    a.password
                ));
            }
            _ => {}
        }
        checked += 1;
    }
    // duplicate_uid0 findings name a passwd path.
    for f in manifest["planted_findings"].as_array().unwrap() {
        if f["category"] == "duplicate_uid0" {
            let user = f["user"].as_str().unwrap();
            if !facts
                .accounts
                .iter()
                .any(|a| a.name == user && a.uid == Some(0))
            {
                return Err(format!("{}: {user} not uid 0", f["id"]));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn synthetic_manifests() {
    let Some(corpus) = corpus() else { return };
    let mut dirs: Vec<_> = std::fs::read_dir(corpus.join("synthetic"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    let mut problems = Vec::new();
    for dir in dirs {
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        for file in manifest["image"]["files"].as_array().unwrap() {
            let name = file["name"].as_str().unwrap();
            let rel = format!(
                "synthetic/{}/{name}",
                dir.file_name().unwrap().to_string_lossy()
            );
            let facts = facts_of(&unpack(&dir.join(name)));
            let result = check_manifest(&facts, &manifest);
            let pending = PENDING.iter().find(|(p, _)| *p == rel);
            match (result, pending) {
                (Ok(n), None) => eprintln!("{rel}: {n} planted account findings confirmed"),
                (Err(e), Some((_, why))) => eprintln!("{rel}: pending ({why}): {e}"),
                (Ok(_), Some(_)) => {
                    problems.push(format!("{rel} passes now: remove it from PENDING"))
                }
                (Err(e), None) => problems.push(format!("{rel}: {e}")),
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn initramfs_mipsel_root_hash_in_passwd() {
    let Some(corpus) = corpus() else { return };
    let facts = facts_of(&unpack(
        &corpus.join("synthetic/initramfs-mipsel/initramfs.cpio.gz"),
    ));
    let root = account(&facts, "root", "/etc/passwd").unwrap();
    assert_eq!(root.uid, Some(0));
    assert!(matches!(
        root.password,
        Password::Hash {
            scheme: HashScheme::Md5,
            ..
        }
    ));
    assert_eq!(found(root), Some("admin"));
    assert!(
        facts.covered("accounts"),
        "{:?}",
        facts.coverage("accounts")
    );
}

#[test]
fn dlink_dir615c() {
    let Some(corpus) = corpus() else { return };
    let facts = facts_of(&unpack(
        &corpus.join("real/dlink-dir615c-rootfs/squashfs-root.tar.bz2"),
    ));
    let admin = account(&facts, "Admin", "/etc/shadow").unwrap();
    assert_eq!(admin.uid, Some(0));
    assert_eq!(
        admin.password,
        Password::Unrecognised {
            field: "iCDxYDfeF4MZL.H3/".into()
        }
    );
    assert_eq!(
        account(&facts, "ap71", "/etc/shadow").unwrap().password,
        Password::Empty
    );
    assert_eq!(
        account(&facts, "root", "/etc/shadow").unwrap().password,
        Password::Empty
    );
    assert_eq!(facts.accounts.len(), 13);
}

#[test]
fn emux_dv_arm_root_empty() {
    let Some(corpus) = corpus() else { return };
    let facts = facts_of(&unpack(
        &corpus.join("real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2"),
    ));
    let root = account(&facts, "root", "/etc/shadow").unwrap();
    assert_eq!(root.password, Password::Empty);
    assert_eq!(root.shell.as_deref(), Some("/bin/ash"));
    for other in facts.accounts.iter().filter(|a| a.name != "root") {
        assert!(
            matches!(other.password, Password::Locked { .. }),
            "{other:?}"
        );
    }
}

/// Negative control: every account is locked.
#[test]
fn rpi5_alpine_all_locked() {
    let Some(corpus) = corpus() else { return };
    let facts = facts_of(&unpack(
        &corpus.join("real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz"),
    ));
    assert_eq!(
        account(&facts, "root", "/etc/shadow").unwrap().password,
        Password::Locked { field: "*".into() }
    );
    assert_eq!(facts.accounts.len(), 17);
    for a in &facts.accounts {
        assert!(matches!(a.password, Password::Locked { .. }), "{a:?}");
    }
    assert!(facts.covered("accounts"));
}

/// FACT_core's users_and_passwords fixtures, placed in a rootfs.
#[test]
fn fact_core_fixtures() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("real/fact-core-analysis-fixtures");
    let mut tree = FileTree::new();
    tree.add(Entry::dir("/etc"));
    for name in [
        "users_and_passwords__passwd_test",
        "users_and_passwords__passwd.bin",
        "users_and_passwords__passwd_FP_test",
    ] {
        tree.add(Entry::file(
            format!("/etc/{name}"),
            std::fs::read(dir.join(name)).unwrap(),
        ));
    }
    let facts = facts_of(&Unpacked::from_tree("fixtures", tree));
    let get = |name: &str, file: &str| {
        account(&facts, name, &format!("/etc/users_and_passwords__{file}"))
            .unwrap_or_else(|| panic!("{name} in {file}: {:#?}", facts.accounts))
    };
    for (name, scheme, password) in [
        ("johndoe", HashScheme::Sha512, "123456"),
        ("max", HashScheme::Md5, "dragon"),
        ("test", HashScheme::Mosquitto, "123456"),
        ("admin", HashScheme::Sha1, "admin"),
        ("root", HashScheme::Des, "root"),
        ("user", HashScheme::Bcrypt, "1234"),
        ("user2", HashScheme::Md5, "secret"),
        ("nosalt", HashScheme::Md5, "root"),
    ] {
        let a = get(name, "passwd_test");
        assert!(
            matches!(&a.password, Password::Hash { scheme: s, .. } if *s == scheme),
            "{a:?}"
        );
        assert_eq!(found(a), Some(password), "{a:?}");
    }
    for (name, field) in [
        ("vboxadd", "!"),
        ("mongodb", "*"),
        ("clamav", "!"),
        ("pulse", "*"),
    ] {
        assert_eq!(
            get(name, "passwd_test").password,
            Password::Locked {
                field: field.into()
            }
        );
    }
    assert_eq!(found(get("johndoe", "passwd.bin")), Some("123456"));
    assert_eq!(found(get("max", "passwd.bin")), Some("dragon"));
    // The false-positive control gives no accounts: 12 + 2 in all.
    assert!(
        !facts
            .accounts
            .iter()
            .any(|a| path_of(&a.location).ends_with("FP_test")),
        "{:#?}",
        facts.accounts
    );
    assert_eq!(facts.accounts.len(), 14);
}

/// Prints the accounts of an extracted directory (`unsquashfs -d DIR ...`), for checking
/// images the unpacker cannot read yet:
/// `HALLMARK_ACCOUNTS_DIR=/tmp/x cargo test -p hallmark-collect --test accounts_corpus -- --ignored --nocapture`.
#[test]
#[ignore = "manual: needs HALLMARK_ACCOUNTS_DIR"]
fn extracted_directory() {
    let Some(root) = std::env::var_os("HALLMARK_ACCOUNTS_DIR") else {
        return;
    };
    let root = PathBuf::from(root);
    let mut tree = FileTree::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = format!("/{}", path.strip_prefix(&root).unwrap().display());
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                tree.add(Entry::symlink(rel, target.to_string_lossy().as_bytes()));
            } else if meta.is_dir() {
                tree.add(Entry::dir(rel));
                stack.push(path);
            } else if meta.is_file() {
                tree.add(Entry::file(rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let facts = facts_of(&Unpacked::from_tree("extracted", tree));
    println!("{}", serde_json::to_string_pretty(&facts.accounts).unwrap());
    println!("{:?}", facts.coverage("accounts"));
}

/// A quality guard on the bundled dictionary (our own list): it covers nearly all the
/// passwords of the Mirai botnet's credential list and the 100 most common passwords of the
/// corpus's common-password list (both SecLists; read here, not copied).
#[test]
fn dictionary_covers_botnet_and_most_common_passwords() {
    let Some(corpus) = corpus() else { return };
    let ours =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/passwords.txt"))
            .unwrap();
    let ours: std::collections::HashSet<&str> = ours
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let mirai = std::fs::read_to_string(corpus.join("credentials/mirai-botnet.txt")).unwrap();
    let mirai: std::collections::HashSet<&str> = mirai
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|p| *p != "(none)")
        .collect();
    let covered = mirai.iter().filter(|p| ours.contains(*p)).count();
    eprintln!("Mirai passwords covered: {covered} of {}", mirai.len());
    assert!(covered * 100 >= mirai.len() * 90);
    let common = std::fs::read_to_string(corpus.join("credentials/10k-most-common.txt")).unwrap();
    let top: Vec<&str> = common.lines().map(str::trim_end).take(100).collect();
    let covered = top.iter().filter(|p| ours.contains(*p)).count();
    eprintln!("top 100 common passwords covered: {covered}");
    assert!(covered >= 90);
}
