use hallmark_model::Location;
use hallmark_model::facts::{Component, CoverageStatus, IdentificationMethod};
use hallmark_unpack::{Entry, FileTree};

use super::table::{self, Table, glob};
use super::*;
use crate::tests::collect_tree;

fn table() -> &'static Table {
    match table::table() {
        Ok(table) => table,
        Err(e) => panic!("{e}"),
    }
}

fn entry(name: &str) -> usize {
    table()
        .entries
        .iter()
        .position(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

fn elf(body: &[u8]) -> Vec<u8> {
    [b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0".as_slice(), body].concat()
}

/// Every signature and file-name pattern of component `name` finds its sample and nothing
/// in its near miss.
fn check(name: &str) {
    let table = table();
    let index = entry(name);
    let e = &table.entries[index];
    assert!(
        !e.signature_defs.is_empty() || !e.file_name_defs.is_empty(),
        "{name}: no signature"
    );
    let signatures: Vec<usize> = table
        .signatures
        .iter()
        .enumerate()
        .filter(|(_, s)| s.entry == index)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(signatures.len(), e.signature_defs.len());
    for (&id, def) in signatures.iter().zip(&e.signature_defs) {
        let signature = &table.signatures[id];
        let file = def.sample_file.clone().unwrap_or_else(|| {
            signature
                .applies
                .globs
                .first()
                .map(|g| g.replace('*', "x"))
                .unwrap_or_else(|| "sample".to_owned())
        });
        let is_elf = signature.applies.elf;
        let layer = !is_elf && signature.applies.globs.is_empty();
        assert!(
            signature.applies.to(is_elf, layer, &file),
            "{name}: sample file {file} not scanned"
        );
        let scan = |text: &str| {
            let data = if is_elf {
                elf(text.as_bytes())
            } else {
                text.as_bytes().to_vec()
            };
            table.scan(&data, &|s| {
                std::ptr::eq(s, signature) && s.applies.to(is_elf, layer, &file)
            })
        };
        let hits = scan(&def.sample);
        assert_eq!(
            hits.len(),
            1,
            "{name}: sample {:?} gives {hits:?}",
            def.sample
        );
        assert_eq!(
            hits[0].version, def.expect,
            "{name}: sample {:?}",
            def.sample
        );
        assert!(!hits[0].text.is_empty(), "{name}: no evidence text");
        let misses = scan(&def.near_miss);
        assert!(
            misses.is_empty(),
            "{name}: near miss {:?} gives {misses:?}",
            def.near_miss
        );
    }
    let patterns: Vec<&table::FileName> = table
        .file_names
        .iter()
        .filter(|f| f.entry == index)
        .collect();
    assert_eq!(patterns.len(), e.file_name_defs.len());
    for (pattern, def) in patterns.iter().zip(&e.file_name_defs) {
        assert_eq!(
            pattern.matches(&def.sample),
            Some(def.expect.clone()),
            "{name}: file name {}",
            def.sample
        );
        assert_eq!(
            pattern.matches(&def.near_miss),
            None,
            "{name}: file name near miss {}",
            def.near_miss
        );
    }
}

/// One test per component of the table; `every_entry_has_a_test` keeps the list complete.
macro_rules! signature_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        const TESTED: &[&str] = &[$($name),*];
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*
    };
}

signature_tests! {
    busybox => "busybox",
    openssl => "openssl",
    wolfssl => "wolfssl",
    mbedtls => "mbedtls",
    dropbear => "dropbear",
    openssh => "openssh",
    dnsmasq => "dnsmasq",
    lighttpd => "lighttpd",
    nginx => "nginx",
    uhttpd => "uhttpd",
    boa => "boa",
    goahead => "goahead",
    mini_httpd => "mini_httpd",
    thttpd => "thttpd",
    hostapd => "hostapd",
    wpa_supplicant => "wpa_supplicant",
    curl => "curl",
    zlib => "zlib",
    glibc => "glibc",
    uclibc => "uclibc",
    uclibc_ng => "uclibc-ng",
    musl => "musl",
    linux_kernel => "linux_kernel",
    u_boot => "u-boot",
    samba => "samba",
    miniupnpd => "miniupnpd",
    libupnp => "libupnp",
    avahi => "avahi",
    openvpn => "openvpn",
    ntp => "ntp",
    chrony => "chrony",
    mosquitto => "mosquitto",
    sqlite => "sqlite",
    expat => "expat",
    libpng => "libpng",
    libjpeg_turbo => "libjpeg-turbo",
    libjpeg => "libjpeg",
    lua => "lua",
    ppp => "ppp",
    iptables => "iptables",
    bash => "bash",
    sudo => "sudo",
    vsftpd => "vsftpd",
    netkit_telnetd => "netkit-telnetd",
    vxworks => "vxworks",
}

#[test]
fn every_entry_has_a_test() {
    let names: Vec<&str> = table().entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, TESTED);
}

#[test]
fn patterns() {
    assert!(glob("libssl.so*", "libssl.so.1.1"));
    assert!(glob("*.ko", "ath9k.ko"));
    assert!(glob("*kernel*", "kernel"));
    assert!(!glob("*.ko", "ath9k.ko.gz"));
    assert!(glob("a*b*c", "aXbYbZc"));
    assert_eq!(split_update("8.4p1", 'p'), ("8.4", Some("p1")));
    assert_eq!(split_update("4.2.8", 'p'), ("4.2.8", None));
    assert_eq!(cpe_escape("4.14.0-rc1+"), "4.14.0-rc1\\+");
    assert_eq!(encode("1:1.30.1-6+b3"), "1%3A1.30.1-6%2Bb3");
    assert_eq!(
        table::compare_versions("0.9.33.2", "0.9.99"),
        std::cmp::Ordering::Less
    );
    assert_eq!(
        table::compare_versions("1.0.38", "1.0"),
        std::cmp::Ordering::Greater
    );
}

fn components(tree: FileTree) -> Vec<Component> {
    let facts = collect_tree(tree, &ComponentsCollector);
    assert_eq!(
        facts.coverage["components"].status,
        CoverageStatus::Complete,
        "{:?}",
        facts.coverage["components"]
    );
    facts.components
}

fn find<'a>(components: &'a [Component], name: &str) -> &'a Component {
    components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not in {components:#?}"))
}

fn path(location: &Location) -> (&str, Option<u64>, Option<u32>) {
    match location {
        Location::Image {
            path, offset, line, ..
        } => (path.as_deref().unwrap_or(""), *offset, *line),
        _ => ("", None, None),
    }
}

#[test]
fn signatures_merge_per_name_and_version() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/bin/busybox",
        elf(b"\0BusyBox v1.30.1 (2020)\0"),
    ));
    tree.add(Entry::file(
        "/rescue/busybox",
        elf(b"\0BusyBox v1.30.1 (2020)\0"),
    ));
    tree.add(Entry::file("/old/busybox", elf(b"\0BusyBox v1.19.4\0")));
    tree.add(Entry::file(
        "/etc/motd",
        b"BusyBox v9.9.9 (not an ELF)".to_vec(),
    ));
    let found = components(tree);
    assert_eq!(found.len(), 2, "{found:#?}");
    let new = &found[1];
    assert_eq!(new.version.as_deref(), Some("1.30.1"));
    assert_eq!(new.purl, "pkg:generic/busybox@1.30.1");
    assert_eq!(
        new.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*")
    );
    let paths: Vec<_> = new.evidence.iter().map(|e| path(&e.location)).collect();
    assert_eq!(
        paths,
        [
            ("/bin/busybox", Some(17), None),
            ("/rescue/busybox", Some(17), None)
        ]
    );
    assert_eq!(new.evidence[0].text, "BusyBox v1.30.1 (2020)");
    assert_eq!(new.evidence[0].method, IdentificationMethod::Signature);
    assert_eq!(found[0].version.as_deref(), Some("1.19.4"));
}

#[test]
fn a_version_cut_short_of_its_suffix_joins_the_full_one() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/usr/bin/ssh",
        elf(b"\0OpenSSH_9.2p1 Debian-2\0"),
    ));
    tree.add(Entry::file("/usr/sbin/sshd", elf(b"\0OpenSSH_9.2\0")));
    let found = components(tree);
    let versions: Vec<_> = found.iter().map(|c| c.version.as_deref()).collect();
    assert_eq!(versions, [Some("9.2p1")], "{found:#?}");
    let paths: Vec<_> = found[0]
        .evidence
        .iter()
        .map(|e| path(&e.location).0)
        .collect();
    assert_eq!(paths, ["/usr/bin/ssh", "/usr/sbin/sshd"]);

    // Alone, the short version stays; a numeric extension is another version.
    let mut tree = FileTree::new();
    tree.add(Entry::file("/usr/sbin/sshd", elf(b"\0OpenSSH_9.2\0")));
    tree.add(Entry::file("/old/sshd", elf(b"\0OpenSSH_9.2.1\0")));
    let found = components(tree);
    let versions: Vec<_> = found.iter().map(|c| c.version.as_deref()).collect();
    assert_eq!(versions, [Some("9.2"), Some("9.2.1")], "{found:#?}");
}

#[test]
fn evidence_is_capped_and_counted() {
    let mut tree = FileTree::new();
    for i in 0..10 {
        tree.add(Entry::file(
            format!("/lib/modules/3.3.8/m{i}.ko"),
            elf(b"\0vermagic=3.3.8 mod_unload MIPS32_R2 32BIT \0"),
        ));
    }
    let found = components(tree);
    let kernel = find(&found, "linux_kernel");
    assert_eq!(kernel.version.as_deref(), Some("3.3.8"));
    assert_eq!(
        kernel.cpe.as_deref(),
        Some("cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*")
    );
    assert_eq!(kernel.purl, "pkg:generic/linux@3.3.8");
    assert_eq!(kernel.evidence.len(), EVIDENCE_PER_METHOD);
    assert_eq!(kernel.evidence_omitted, 10 - EVIDENCE_PER_METHOD as u64);
}

#[test]
fn name_only_hits_join_the_one_version_or_stay_without_one() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/usr/lib/libcrypto.so.3",
        elf(b"\0OpenSSL 3.0.20 7 Apr 2026\0"),
    ));
    tree.add(Entry::file(
        "/usr/lib/libssl.so.3",
        elf(b"\0no version here\0"),
    ));
    tree.add(Entry::file(
        "/lib/ld-musl-armhf.so.1",
        elf(b"\0musl libc (armhf)\0"),
    ));
    tree.add(Entry::file("/usr/sbin/uhttpd", elf(b"\0")));
    let found = components(tree);
    let openssl = find(&found, "openssl");
    assert_eq!(openssl.version.as_deref(), Some("3.0.20"));
    let methods: Vec<_> = openssl
        .evidence
        .iter()
        .map(|e| (e.method, path(&e.location).0))
        .collect();
    assert_eq!(
        methods,
        [
            (IdentificationMethod::Signature, "/usr/lib/libcrypto.so.3"),
            (IdentificationMethod::FileName, "/usr/lib/libcrypto.so.3"),
            (IdentificationMethod::FileName, "/usr/lib/libssl.so.3"),
        ]
    );
    for name in ["musl", "uhttpd"] {
        let c = find(&found, name);
        assert_eq!(c.version, None, "{name}");
        assert_eq!(c.cpe, None, "{name}");
        assert!(!c.purl.contains('@'), "{name}");
    }
    assert_eq!(found.len(), 3);
}

#[test]
fn two_versions_leave_a_name_only_hit_apart() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/a/libcrypto.so.1.0.0",
        elf(b"\0OpenSSL 1.0.2n  7 Dec 2017\0"),
    ));
    tree.add(Entry::file(
        "/b/libcrypto.so.1.1",
        elf(b"\0OpenSSL 1.1.1w  11 Sep 2023\0"),
    ));
    let found = components(tree);
    let versions: Vec<_> = found.iter().map(|c| c.version.as_deref()).collect();
    assert_eq!(versions, [None, Some("1.0.2n"), Some("1.1.1w")]);
}

#[test]
fn file_names_with_versions() {
    let mut tree = FileTree::new();
    tree.add(Entry::file("/lib/libuClibc-0.9.33.2.so", elf(b"")));
    tree.add(Entry::file("/lib/ld-uClibc-0.9.33.2.so", elf(b"")));
    tree.add(Entry::file("/lib/libuClibc-1.0.38.so", elf(b"")));
    tree.add(Entry::file("/usr/lib/libz.so.1.2.7", elf(b"")));
    tree.add(Entry::symlink("/usr/lib/libz.so.1", "libz.so.1.2.7"));
    let found = components(tree);
    let summary: Vec<_> = found
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_deref(), c.evidence.len()))
        .collect();
    assert_eq!(
        summary,
        [
            ("uclibc", Some("0.9.33.2"), 2),
            ("uclibc-ng", Some("1.0.38"), 1),
            ("zlib", Some("1.2.7"), 1),
        ]
    );
    assert_eq!(
        find(&found, "uclibc-ng").cpe.as_deref(),
        Some("cpe:2.3:a:uclibc-ng_project:uclibc-ng:1.0.38:*:*:*:*:*:*:*")
    );
}

#[test]
fn opkg_status_control_and_file_lists() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/usr/lib/opkg/status",
        b"Package: busybox\nVersion: 1.19.4-6\nDepends: libc\nStatus: install user installed\nArchitecture: ar71xx\n\nPackage: gone\nVersion: 1.0-1\nStatus: deinstall user not-installed\n\nPackage: libopenssl\nVersion: 1.0.2n-1\nStatus: install user installed\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/usr/lib/opkg/info/busybox.control",
        b"Package: busybox\nVersion: 1.19.4-6\nSource: package/busybox\nStatus: unknown ok not-installed\nArchitecture: ar71xx\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/usr/lib/opkg/info/busybox.list",
        b"/bin/busybox\n/bin/sh\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/etc/openwrt_release",
        b"DISTRIB_ID='OpenWrt'\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/bin/busybox",
        elf(b"\0BusyBox v1.19.4 (2014-11-17)\0"),
    ));
    // The same version string outside the package's files is a component of its own.
    tree.add(Entry::file(
        "/opt/busybox",
        elf(b"\0BusyBox v1.19.4 (2014-11-17)\0"),
    ));
    let found = components(tree);
    let names: Vec<_> = found.iter().map(|c| c.purl.as_str()).collect();
    assert_eq!(
        names,
        [
            "pkg:generic/busybox@1.19.4",
            "pkg:opkg/openwrt/busybox@1.19.4-6?arch=ar71xx",
            "pkg:opkg/openwrt/libopenssl@1.0.2n-1",
        ]
    );
    let busybox = &found[1];
    assert_eq!(busybox.version.as_deref(), Some("1.19.4-6"));
    assert_eq!(
        busybox.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.19.4:*:*:*:*:*:*:*")
    );
    let evidence: Vec<_> = busybox
        .evidence
        .iter()
        .map(|e| (e.method, path(&e.location)))
        .collect();
    assert_eq!(
        evidence,
        [
            (
                IdentificationMethod::PackageDb,
                ("/usr/lib/opkg/status", None, Some(1))
            ),
            (
                IdentificationMethod::PackageDb,
                ("/usr/lib/opkg/info/busybox.control", None, Some(1))
            ),
            (
                IdentificationMethod::Signature,
                ("/bin/busybox", Some(17), None)
            ),
        ]
    );
    assert_eq!(busybox.evidence[0].text, "busybox 1.19.4-6");
    assert_eq!(
        found[2].cpe.as_deref(),
        Some("cpe:2.3:a:openssl:openssl:1.0.2n:*:*:*:*:*:*:*")
    );
}

#[test]
fn dpkg_status_with_epoch_source_and_distro() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/var/lib/dpkg/status",
        b"Package: busybox-static\nStatus: install ok installed\nArchitecture: armhf\nSource: busybox\nVersion: 1:1.30.1-6+b3\n\nPackage: openssh-server\nStatus: install ok installed\nArchitecture: armhf\nSource: openssh\nVersion: 1:8.4p1-5+deb11u3\n\nPackage: removed\nStatus: deinstall ok config-files\nVersion: 1\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/etc/os-release",
        b"PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nVERSION_ID=\"11\"\nID=debian\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/var/lib/dpkg/info/busybox-static.list",
        b"/.\n/bin\n/bin/busybox\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/bin/busybox",
        elf(b"\0BusyBox v1.30.1 (Debian 1:1.30.1-6+b3)\0"),
    ));
    let found = components(tree);
    assert_eq!(found.len(), 2, "{found:#?}");
    let busybox = find(&found, "busybox-static");
    assert_eq!(
        busybox.purl,
        "pkg:deb/debian/busybox-static@1%3A1.30.1-6%2Bb3?arch=armhf&distro=debian-11&upstream=busybox"
    );
    assert_eq!(
        busybox.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*")
    );
    assert_eq!(busybox.evidence.len(), 2);
    assert_eq!(
        find(&found, "openssh-server").cpe.as_deref(),
        Some("cpe:2.3:a:openbsd:openssh:8.4:p1:*:*:*:*:*:*")
    );
}

#[test]
fn apk_installed_db() {
    let mut tree = FileTree::new();
    tree.add(Entry::file(
        "/lib/apk/db/installed",
        b"C:Q1x=\nP:busybox\nV:1.37.0-r18\nA:aarch64\no:busybox\nF:bin\nR:busybox\n\nP:libcrypto3\nV:3.5.0-r0\nA:aarch64\no:openssl\nF:lib\nR:libcrypto.so.3\n\nP:musl\nV:1.2.5-r10\nA:aarch64\no:musl\nF:lib\nR:ld-musl-aarch64.so.1\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/etc/os-release",
        b"ID=alpine\nVERSION_ID=3.22.0\n".to_vec(),
    ));
    tree.add(Entry::file(
        "/bin/busybox",
        elf(b"\0BusyBox v1.37.0 (2025-06-01)\0"),
    ));
    tree.add(Entry::file(
        "/lib/libcrypto.so.3",
        elf(b"\0OpenSSL 3.5.0 8 Apr 2025\0"),
    ));
    tree.add(Entry::file(
        "/lib/ld-musl-aarch64.so.1",
        elf(b"\0musl libc (aarch64)\0"),
    ));
    let found = components(tree);
    let summary: Vec<_> = found
        .iter()
        .map(|c| {
            (
                c.purl.as_str(),
                c.cpe.as_deref().unwrap_or("-"),
                c.evidence.iter().map(|e| e.method).collect::<Vec<_>>(),
            )
        })
        .collect();
    use IdentificationMethod::{FileName, PackageDb, Signature};
    assert_eq!(
        summary,
        [
            (
                "pkg:apk/alpine/busybox@1.37.0-r18?arch=aarch64&distro=alpine-3.22.0",
                "cpe:2.3:a:busybox:busybox:1.37.0:*:*:*:*:*:*:*",
                vec![PackageDb, Signature]
            ),
            (
                "pkg:apk/alpine/libcrypto3@3.5.0-r0?arch=aarch64&distro=alpine-3.22.0&upstream=openssl",
                "cpe:2.3:a:openssl:openssl:3.5.0:*:*:*:*:*:*:*",
                vec![PackageDb, Signature, FileName]
            ),
            (
                "pkg:apk/alpine/musl@1.2.5-r10?arch=aarch64&distro=alpine-3.22.0",
                "cpe:2.3:a:musl-libc:musl:1.2.5:*:*:*:*:*:*:*",
                vec![PackageDb, FileName]
            ),
        ]
    );
}

#[test]
fn kernel_banner_in_a_decompressed_layer() {
    use hallmark_unpack::{Limits, Unpacker};
    let gz =
        flate2_like(b"\0\0Linux version 4.14.180 (builder@host) (gcc version 8.3.0) #1 SMP\n\0");
    let image = [vec![0xAA; 64], gz].concat();
    let unpacked = Unpacker::new(Limits::default()).unpack_bytes("fw.bin", image);
    let view = Image::new(&unpacked);
    let mut facts = Facts::default();
    ComponentsCollector.collect(&view, &Options::default(), &mut facts);
    let kernel = find(&facts.components, "linux_kernel");
    assert_eq!(kernel.version.as_deref(), Some("4.14.180"));
    // Found in the gzip stream's content (and, the stream being stored, in the input too).
    let in_gzip = kernel.evidence.iter().any(|e| match &e.location {
        Location::Image { chain, offset, .. } => {
            chain.last().map(|l| l.format.as_str()) == Some("gzip") && *offset == Some(2)
        }
        _ => false,
    });
    assert!(in_gzip, "{kernel:#?}");
}

/// A gzip stream of `data` (stored blocks: no compressor needed).
fn flate2_like(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let len = u16::try_from(data.len()).unwrap();
    out.push(1);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn hostile_input_is_bounded_and_harmless() {
    // An anchor repeated over megabytes, versions that never end, garbage.
    let mut tree = FileTree::new();
    let repeated = elf(&b"BusyBox v".repeat(400_000));
    tree.add(Entry::file("/bin/a", repeated));
    let long = elf(&[b"BusyBox v1.".as_slice(), &b"1.".repeat(100_000)].concat());
    tree.add(Entry::file("/bin/b", long));
    let near = elf(&[
        b"pppd version %s".as_slice(),
        &[0u8; 70_000],
        b"pppd version %s",
    ]
    .concat()
    .repeat(20));
    tree.add(Entry::file("/bin/c", near));
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    tree.add(Entry::file("/bin/d", elf(&noise)));
    tree.add(Entry::file("/lib/apk/db/installed", noise.clone()));
    tree.add(Entry::file("/var/lib/dpkg/status", noise.clone()));
    tree.add(Entry::file("/usr/lib/opkg/info/x.control", noise));
    let started = std::time::Instant::now();
    let found = components(tree);
    assert!(found.is_empty(), "{found:#?}");
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn large_files_are_searched_in_their_first_bytes() {
    let mut tree = FileTree::new();
    let mut big = elf(b"\0BusyBox v1.30.1 (x)\0");
    big.resize(4096, 0);
    big.extend_from_slice(b"\0dnsmasq-2.85\0");
    tree.add(Entry::file("/bin/big", big));
    let unpacked = hallmark_unpack::Unpacked::from_tree("t", tree);
    let image = Image::new(&unpacked);
    let mut facts = Facts::default();
    let options = Options {
        max_scan_bytes: 1024,
        ..Options::default()
    };
    let coverage = ComponentsCollector.collect(&image, &options, &mut facts);
    assert_eq!(facts.components.len(), 1);
    assert_eq!(coverage.status, CoverageStatus::Partial);
    assert!(
        coverage.notes[0].contains("first 1024 bytes"),
        "{coverage:?}"
    );
}

/// The literal matcher reports what an overlapping Aho-Corasick search over the same literals
/// reports, in the same order: on the table's literals, and on a set with one- and two-byte
/// literals nested in each other.
#[test]
fn literals_match_like_aho_corasick() {
    use aho_corasick::{AhoCorasick, MatchKind};
    let ours = table().literals().to_vec();
    let mut nested = ours.clone();
    for extra in ["a", "ab", "abc", "bc", "c", "ca", "Bus", "BusyBox v1"] {
        nested.push(extra.as_bytes().to_vec());
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for literals in [ours, nested] {
        let matcher = table::Literals::new(literals.clone());
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .unwrap();
        let mut total = 0;
        for _ in 0..400 {
            let mut data = Vec::new();
            for _ in 0..next(20) {
                let literal = &literals[next(literals.len())];
                match next(5) {
                    0 => data.extend_from_slice(literal),
                    1 => data.extend_from_slice(&literal[..next(literal.len() + 1)]),
                    2 => data.extend_from_slice(&literal[next(literal.len() + 1)..]),
                    3 => data.extend((0..next(6)).map(|_| next(256) as u8)),
                    _ => data.extend((0..next(6)).map(|_| b"abcB"[next(4)])),
                }
            }
            let expected: Vec<(usize, usize, usize)> = automaton
                .find_overlapping_iter(&data)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            let got: Vec<(usize, usize, usize)> = matcher
                .find_all(&data)
                .into_iter()
                .map(|m| (m.literal, m.start, m.end))
                .collect();
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&data));
            total += got.len();
        }
        assert!(total > 500, "{total}");
    }
}
