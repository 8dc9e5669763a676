//! Hostile and silent services give a clear, bounded result: local listeners on loopback that
//! answer garbage, hold connections silently, or send broken TLS and SSH.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use hallmark_model::Location;
use hallmark_model::facts::CoverageStatus;
use hallmark_probe::{Limits, PortSpec, ProbeConfig, probe_blocking};

/// Starts a listener on 127.0.0.1 that runs `serve` on every connection (each in its own
/// thread, for the life of the test process). Returns its port.
fn listener(serve: fn(std::net::TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in l.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    port
}

fn junk(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes garbage, keeps reading and answering garbage until the client leaves.
fn garbage(mut s: std::net::TcpStream) {
    let _ = s.write_all(&junk(3000, 7));
    let mut buf = [0u8; 512];
    for i in 0..50u32 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let _ = s.write_all(&junk(700, i + 1));
            }
        }
    }
}

/// Accepts and never says anything (holds the connection for a minute).
fn silent(s: std::net::TcpStream) {
    thread::sleep(Duration::from_secs(60));
    drop(s);
}

/// A TLS-looking server whose record claims far more than it sends, then stalls.
fn broken_tls(mut s: std::net::TcpStream) {
    let mut buf = [0u8; 2048];
    let _ = s.read(&mut buf);
    let mut reply = vec![0x16, 0x03, 0x03, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff];
    reply.extend(junk(100, 3));
    let _ = s.write_all(&reply);
    thread::sleep(Duration::from_secs(30));
}

/// An SSH banner, then a packet with an absurd length and garbage.
fn broken_ssh(mut s: std::net::TcpStream) {
    let _ = s.write_all(b"SSH-2.0-Broken_1.0\r\n\xff\xff\xff\xf0\x05\x14");
    let _ = s.write_all(&junk(5000, 9));
    let mut buf = [0u8; 512];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// A telnet-looking login that never accepts and floods negotiation.
fn endless_telnet(mut s: std::net::TcpStream) {
    let _ = s.write_all(&[255, 253, 24, 255, 251, 1]);
    let _ = s.write_all(b"login: ");
    let mut buf = [0u8; 512];
    for _ in 0..20 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let _ = s.write_all(&[255, 250, 24, 1]);
                let _ = s.write_all(&junk(200, 5));
                let _ = s.write_all(b"\r\nPassword: ");
            }
        }
    }
}

fn config(ports: Vec<u16>, deadline: Duration) -> ProbeConfig {
    ProbeConfig {
        ports: PortSpec::List(ports),
        credentials: Some(hallmark_probe::bundled()),
        udp: false,
        limits: Limits {
            deadline,
            read_timeout: Duration::from_millis(500),
            login_wait: Duration::from_millis(800),
            attempts_per_service: 2,
            attempt_delay: Duration::from_millis(10),
            ..Limits::default()
        },
    }
}

#[test]
fn garbage_silence_and_broken_protocols_give_a_bounded_result() {
    let ports = vec![
        listener(garbage),
        listener(silent),
        listener(broken_tls),
        listener(broken_ssh),
        listener(endless_telnet),
    ];
    let started = Instant::now();
    let facts =
        probe_blocking("127.0.0.1", &config(ports.clone(), Duration::from_secs(60))).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(40), "took {took:?}");
    // Every open port is recorded, whatever it said.
    let seen: Vec<u16> = facts
        .network_services
        .iter()
        .filter_map(|s| match &s.location {
            Location::Endpoint { port, .. } => *port,
            _ => None,
        })
        .collect();
    let mut expected = ports.clone();
    expected.sort_unstable();
    assert_eq!(seen, expected, "{:#?}", facts.network_services);
    // The garbage talker's banner is kept, escaped and shortened.
    let garbage_service =
        &facts.network_services[seen.iter().position(|p| *p == ports[0]).unwrap()];
    let banner = garbage_service.banner.as_deref().unwrap_or("");
    assert!(banner.len() <= 1000 && banner.contains("\\x"), "{banner}");
    // The broken SSH server: an endpoint with its banner and no algorithms, or none at all.
    for ssh in &facts.ssh_endpoints {
        assert!(ssh.kex.is_empty(), "{ssh:?}");
    }
    // No credential was reported as accepted by services that accept nothing.
    assert!(
        facts.access_attempts.iter().all(|a| !a.accepted),
        "{:#?}",
        facts.access_attempts
    );
    // Every check runs over these facts without a finding about credentials.
    assert_eq!(
        facts.coverage["probe-ports"].status,
        CoverageStatus::Complete
    );
}

#[test]
fn a_short_deadline_cuts_the_probe_and_says_so() {
    let ports = vec![
        listener(silent),
        listener(endless_telnet),
        listener(garbage),
    ];
    let started = Instant::now();
    let facts = probe_blocking("127.0.0.1", &config(ports, Duration::from_millis(700))).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let services = &facts.coverage["probe-services"];
    assert_eq!(services.status, CoverageStatus::Partial, "{services:?}");
    assert!(
        services.notes.iter().any(|n| n.contains("deadline")),
        "{services:?}"
    );
}

#[test]
fn closed_ports_are_an_answer_not_a_silent_host() {
    // Bind and drop: the port is closed (loopback answers with a reset).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let facts = probe_blocking("127.0.0.1", &config(vec![port], Duration::from_secs(10))).unwrap();
    assert!(facts.network_services.is_empty());
    let ports = &facts.coverage["probe-ports"];
    assert_eq!(ports.status, CoverageStatus::Complete, "{ports:?}");
    assert_eq!(facts.coverage["probe-services"].examined, 0);
}

#[test]
fn bad_port_lists_and_credential_files_are_errors() {
    assert!(PortSpec::parse("22,abc").is_err());
    let err = hallmark_probe::parse_credentials("telnet admin\n", "creds.txt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "creds.txt:1: expected SERVICE USER SECRET [SOURCE...]"
    );
}
