//! The components collector against the shared corpus: every component of each synthetic
//! image's `manifest.json` (name, version, path) is found with its exact version and no other
//! version of those names is reported; the versions the real images' `SOURCE.md` files state
//! are found.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::path::Path;

use hallmark_model::Location;
use hallmark_model::facts::{Component, Facts};
use serde_json::Value;
use support::{corpus, is_path, path_of};

fn run(image: &Path) -> Facts {
    support::run("components", &support::unpack(image))
}

/// One line per component: name, version, where its evidence is.
fn listing(facts: &Facts) -> String {
    facts
        .components
        .iter()
        .map(|c| {
            let places: Vec<String> = c
                .evidence
                .iter()
                .map(|e| format!("{:?}:{}", e.method, place(&e.location)))
                .collect();
            format!(
                "  {} {} [{}]",
                c.name,
                c.version.as_deref().unwrap_or("(no version)"),
                places.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A file path, or the innermost layer for evidence in a layer.
fn place(location: &Location) -> String {
    match location {
        Location::Image {
            path: Some(path), ..
        } => path.clone(),
        Location::Image { chain, .. } => chain.last().map_or("input".to_owned(), |l| {
            format!("{}@{:#x}", l.format, l.offset)
        }),
        _ => String::new(),
    }
}

/// Whether `component` is `name` at `version`: exactly, or as a package whose version is the
/// upstream version plus a package revision (`1.19.4-6`, `1.37.0-r18`).
fn is(component: &Component, name: &str, version: &str) -> bool {
    component.name == name
        && component
            .version
            .as_deref()
            .is_some_and(|v| v == version || v.starts_with(&format!("{version}-")))
}

/// Checks a synthetic image against its manifest's `components`. `absent` lists manifest
/// names whose evidence is not in this image file (with the reason, for the message).
fn check_manifest(dir: &Path, image: &str, absent: &[(&str, &str)]) {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let unpacked = support::unpack(&dir.join(image));
    let facts = support::run("components", &unpacked);
    eprintln!("{image}:\n{}", listing(&facts));
    // Symbolic links are not read: a manifest path that is one (`libc.so.6`) stands for the
    // file it leads to (`libc-2.31.so`).
    let resolve = |path: &str| -> Vec<String> {
        let mut paths = vec![path.to_owned()];
        for (_, tree) in unpacked.trees() {
            if let Ok(resolved) = tree.resolve_path(path, true) {
                paths.push(resolved);
            }
        }
        paths
    };
    let mut failures = Vec::new();
    let expected = manifest["components"].as_array().unwrap();
    for c in expected {
        let name = c["name"].as_str().unwrap();
        let version = c["version"].as_str().unwrap();
        let path = c["path"].as_str().unwrap();
        if absent.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let Some(found) = facts
            .components
            .iter()
            .find(|f| f.name == name && f.version.as_deref() == Some(version))
        else {
            failures.push(format!("{name} {version} not found"));
            continue;
        };
        // A manifest path outside the file tree (`firmware.bin:uImage(...)`) is a layer.
        let paths = resolve(path);
        let at_path = found.evidence.iter().any(|e| {
            let p = path_of(&e.location);
            if path.starts_with('/') {
                paths.iter().any(|path| is_path(p, path))
            } else {
                p.is_empty()
            }
        });
        if !at_path {
            failures.push(format!("{name} {version}: no evidence at {path}"));
        }
        for other in facts.components.iter().filter(|f| f.name == name) {
            if let Some(v) = other.version.as_deref().filter(|v| *v != version) {
                failures.push(format!("{name}: wrong version {v} (expected {version})"));
            }
        }
    }
    assert!(failures.is_empty(), "{image}: {}", failures.join("\n"));
    assert!(facts.covered("components"), "{:?}", facts.coverage);
}

#[test]
fn synthetic_initramfs_mipsel() {
    let Some(corpus) = corpus() else { return };
    check_manifest(
        &corpus.join("synthetic/initramfs-mipsel"),
        "initramfs.cpio.gz",
        &[],
    );
}

#[test]
fn synthetic_nas_arm64_ext4() {
    let Some(corpus) = corpus() else { return };
    check_manifest(&corpus.join("synthetic/nas-arm64-ext4"), "rootfs.ext4", &[]);
}

#[test]
fn synthetic_router_armhf_firmware() {
    let Some(corpus) = corpus() else { return };
    check_manifest(&corpus.join("synthetic/router-armhf"), "firmware.bin", &[]);
}

#[test]
fn synthetic_router_armhf_rootfs_only() {
    let Some(corpus) = corpus() else { return };
    check_manifest(
        &corpus.join("synthetic/router-armhf"),
        "rootfs.squashfs",
        &[(
            "linux_kernel",
            "the kernel stub is in firmware.bin's uImage, not in the rootfs",
        )],
    );
}

#[test]
fn synthetic_router_armhf_ubi() {
    let Some(corpus) = corpus() else { return };
    check_manifest(
        &corpus.join("synthetic/router-armhf-ubi"),
        "rootfs.ubi",
        &[(
            "linux_kernel",
            "the manifest's kernel is firmware.bin's uImage stub; the UBI image holds no kernel \
             and no module (no `4.14.180` anywhere in it)",
        )],
    );
}

#[test]
fn synthetic_config_jffs2_has_no_components() {
    let Some(corpus) = corpus() else { return };
    for image in ["config-le.jffs2", "config-be.jffs2"] {
        let facts = run(&corpus.join("synthetic/config-jffs2").join(image));
        assert!(facts.components.is_empty(), "{image}:\n{}", listing(&facts));
    }
}

/// The versions the real images' `SOURCE.md` files state, read from each file (image path,
/// component, version). Versions a SOURCE.md states that are not in the image are left out
/// with the reason; versions only verified here with `strings` are marked so.
#[rustfmt::skip]
const REAL: &[(&str, &str, &str)] = &[
    // "BusyBox v1.19.4 (2014-11-17); dropbear 2011.54; uClibc 0.9.33.2", "Linux 3.3.8".
    ("openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", "busybox", "1.19.4"),
    ("openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", "dropbear", "2011.54"),
    ("openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", "uclibc", "0.9.33.2"),
    ("openwrt-librarybox-tl-wr703n/openwrt-ar71xx-generic-tl-wr703n-v1-squashfs-factory.bin", "linux_kernel", "3.3.8"),
    // "Kernel Linux 2.6.31 (TP-Link build #94, 2016-06-17)". Its U-Boot 1.1.4 is named in the
    // format line only by reference to the WR841N; verified here with `strings`.
    ("tplink-tl-wr940n-v4-stock/wr940nv4_us_3_16_9_up_boot_160617.bin", "linux_kernel", "2.6.31"),
    ("tplink-tl-wr940n-v4-stock/wr940nv4_us_3_16_9_up_boot_160617.bin", "u-boot", "1.1.4"),
    // "kernel @0x11180: Linux 2.6.21.5".
    ("huawei-hg532e-stock/HG532eV100R001C01B020_upgrade_packet.bin", "linux_kernel", "2.6.21.5"),
    // "BusyBox v1.19.2; dropbear 2012.55 (dropbearmulti); uClibc 0.9.33.2", "Linux 2.6.36",
    // "raw MIPS U-Boot 1.1.3".
    ("tplink-mt7628-flash-partitions/rootfs.squashfs", "busybox", "1.19.2"),
    ("tplink-mt7628-flash-partitions/rootfs.squashfs", "dropbear", "2012.55"),
    ("tplink-mt7628-flash-partitions/rootfs.squashfs", "uclibc", "0.9.33.2"),
    ("tplink-mt7628-flash-partitions/kernel.bin", "linux_kernel", "2.6.36"),
    ("tplink-mt7628-flash-partitions/uboot.bin", "u-boot", "1.1.3"),
    // "BusyBox v1.01 (2009); uClibc 0.9.28; dnsmasq 2.41".
    ("dlink-dir615c-rootfs/squashfs-root.tar.bz2", "busybox", "1.01"),
    ("dlink-dir615c-rootfs/squashfs-root.tar.bz2", "uclibc", "0.9.28"),
    ("dlink-dir615c-rootfs/squashfs-root.tar.bz2", "dnsmasq", "2.41"),
    // "BusyBox v1.23.2; dropbear 2017.75; uClibc 0.9.33.2; OpenSSL 1.0.0 libs
    // (libssl.so.1.0.0)". 1.0.0 is the libraries' soname, not a version in the image: the
    // libraries say "OpenSSL 1.0.2n  7 Dec 2017" (verified with `strings`), and opkg's
    // `libopenssl 1.0.2n-1` owns them, which is checked instead.
    ("emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", "busybox", "1.23.2"),
    ("emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", "dropbear", "2017.75"),
    ("emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", "uclibc", "0.9.33.2"),
    ("emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2", "libopenssl", "1.0.2n"),
    // "real U-Boot 1.1.4 (Sep 21 2015) and real LZMA kernel (Linux 2.6.31--LSDK-9.2.0.312)";
    // the kernel's version is its release number, the LSDK suffix stays in the evidence.
    ("tplink-mr3020-boot-kernel-stubrootfs/test.tpl", "u-boot", "1.1.4"),
    ("tplink-mr3020-boot-kernel-stubrootfs/test.tpl", "linux_kernel", "2.6.31"),
    // "BusyBox v1.33.0 (2021-06-22); uClibc-ng 1.0.38", "Linux 4.14.0-licheepi-nano+".
    ("lichee-pi-nano-buildroot-jffs2/rootfs.jffs2", "busybox", "1.33.0"),
    ("lichee-pi-nano-buildroot-jffs2/rootfs.jffs2", "uclibc-ng", "1.0.38"),
    ("lichee-pi-nano-buildroot-jffs2/zImage", "linux_kernel", "4.14.0"),
    // The apk database: "alpine-baselayout 3.7.0-r0, apk-tools 2.14.9-r2, busybox 1.37.0-r18,
    // ca-certificates-bundle 20241121-r2, libcrypto3/libssl3 3.5.0-r0, musl 1.2.5-r10,
    // scanelf 1.3.8-r1, ssl_client 1.37.0-r18, zlib 1.3.1-r2".
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "alpine-baselayout", "3.7.0-r0"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "apk-tools", "2.14.9-r2"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "busybox", "1.37.0-r18"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "ca-certificates-bundle", "20241121-r2"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "libcrypto3", "3.5.0-r0"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "libssl3", "3.5.0-r0"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "musl", "1.2.5-r10"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "scanelf", "1.3.8-r1"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "ssl_client", "1.37.0-r18"),
    ("rpi5-alpine-initramfs-cpio/rootfs.cpio.gz", "zlib", "1.3.1-r2"),
    // "component: VxWorks 5.5.1".
    ("tplink-vxworks-wr/wr.fw", "vxworks", "5.5.1"),
    // Left out: broadcom-adsl-squashfs-v2, arcadyan-obfuscated, xerox-dlm-truncated, the
    // format samples and the FACT fixtures state no component versions.
];

#[test]
fn real_images_stated_versions() {
    let Some(corpus) = corpus() else { return };
    let mut images: Vec<&str> = REAL.iter().map(|(image, _, _)| *image).collect();
    images.dedup();
    let mut failures = Vec::new();
    for image in images {
        let facts = run(&corpus.join("real").join(image));
        eprintln!("{image}:\n{}", listing(&facts));
        for (_, name, version) in REAL.iter().filter(|(i, _, _)| *i == image) {
            if !facts.components.iter().any(|c| is(c, name, version)) {
                failures.push(format!("{image}: {name} {version} not found"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The Alpine image's apk database is exact: its packages carry their PURLs and, where the
/// package is a known component, the CPE; the version strings of the files they own join them.
#[test]
fn alpine_packages_and_their_files() {
    let Some(corpus) = corpus() else { return };
    let facts = run(&corpus.join("real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz"));
    let busybox = facts
        .components
        .iter()
        .find(|c| c.name == "busybox")
        .unwrap();
    assert_eq!(
        busybox.purl,
        "pkg:apk/alpine/busybox@1.37.0-r18?arch=aarch64&distro=alpine-3.22.0"
    );
    assert_eq!(
        busybox.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.37.0:*:*:*:*:*:*:*")
    );
    assert!(
        busybox
            .evidence
            .iter()
            .any(|e| is_path(path_of(&e.location), "/bin/busybox")),
        "{busybox:#?}"
    );
    // No version string contradicts the database: every component is a package.
    for c in &facts.components {
        assert!(c.purl.starts_with("pkg:apk/alpine/"), "{c:#?}");
    }
}
