//! Measurements, printed rather than asserted (timings depend on the machine). Run with
//! `cargo test --release -p hallmark-unpack --test perf -- --ignored --nocapture`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::Instant;

use common::testkit;
use hallmark_unpack::{Limits, Unpacker};

const MIB: usize = 1 << 20;

fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn measure_bombs_decoding_and_scanning() {
    let zeros = vec![0u8; MIB];
    let members: [(&str, Vec<u8>); 4] = [
        ("gzip", testkit::gzip_best(&zeros)),
        ("xz", testkit::xz(&zeros)),
        ("bzip2", testkit::bzip2(&zeros)),
        ("zstd", testkit::zstd(&zeros)),
    ];
    for (format, member) in &members {
        let bomb = testkit::repeat(member, 1024);
        let started = Instant::now();
        let unpacked = Unpacker::default().unpack_bytes("bomb", bomb);
        eprintln!(
            "1 GiB {format} bomb ({} bytes): stopped in {:?} after {} MiB, {:?}",
            member.len() * 1024,
            started.elapsed(),
            unpacked.stats.bytes_produced >> 20,
            unpacked.truncations()[0].limit
        );
    }
    eprintln!("peak RSS after the bombs: {}", peak_rss_mib());

    let no_ratio = Limits {
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    for (format, member) in &members {
        let stream = testkit::repeat(member, 512);
        let started = Instant::now();
        let unpacked = Unpacker::new(no_ratio.clone()).unpack_bytes("zeros", stream);
        let elapsed = started.elapsed();
        eprintln!(
            "{format}: decoded {} MiB in {elapsed:?} ({:.0} MiB/s)",
            unpacked.stats.bytes_produced >> 20,
            (unpacked.stats.bytes_produced >> 20) as f64 / elapsed.as_secs_f64()
        );
    }

    let noise = testkit::noise(256 * MIB, 99);
    let started = Instant::now();
    let unpacked = Unpacker::default().unpack_bytes("noise", noise);
    let elapsed = started.elapsed();
    eprintln!(
        "scan of 256 MiB of noise: {elapsed:?} ({:.0} MiB/s), {} layers",
        256.0 / elapsed.as_secs_f64(),
        unpacked.layers().len()
    );
    eprintln!("peak RSS at the end: {}", peak_rss_mib());
}
