//! Live evidence from a network probe of the device (principles 2, 3 and 8): what its ports
//! accept, not what its firmware configures. These checks read only the probe's facts.

use hallmark_model::facts::{CoverageStatus, Facts, PeerCertificate};
use hallmark_model::{Location, Outcome, Severity};

use super::check;
use crate::util::Judge;

/// Requires the probe step `id` to have run: `false` (and a note) when it did not; a partial
/// run is noted and still read (what it found fails, but it cannot pass).
fn needs_probe(judge: &mut Judge<'_>, facts: &Facts, id: &str, what: &str) -> bool {
    match facts.coverage(id).map(|c| (c.status, c.notes.clone())) {
        Some((CoverageStatus::Complete, _)) => true,
        Some((CoverageStatus::Partial, notes)) => {
            judge.missing(format!(
                "{what}: the probe was partial ({})",
                if notes.is_empty() {
                    "no reason given".to_owned()
                } else {
                    notes.join("; ")
                }
            ));
            true
        }
        Some((CoverageStatus::NotRun, notes)) => {
            judge.missing(format!(
                "{what}: the probe step did not run ({})",
                notes.join("; ")
            ));
            false
        }
        None => {
            judge.missing(format!("{what}: needs a network probe of the live device (`hallmark probe HOST` or `assess --probe HOST`)"));
            false
        }
    }
}

fn service_of(location: &Location) -> &str {
    match location {
        Location::Endpoint {
            service: Some(s), ..
        } => s,
        _ => "service",
    }
}

check! {
    /// No default credential opens a live service.
    DefaultCredentials {
        id: "live-default-credentials",
        title: "No default credential opens a login service of the live device",
        requirements: ["ECD-2.1"],
        severity: Critical,
        doc: "## What it checks\nLogins on the live device with a short list of default credentials (vendor factory defaults and the pairs botnets such as Mirai try first) over telnet, SSH (password or keyboard-interactive, with the prober's own SSH client), FTP, HTTP Basic and MQTT (plain and over TLS), and the default SNMP communities `public`, `private` and `community`. Each service gets a small budget of attempts, with a pause between them, and the probe stops at the first success. Once an SNMP community reads, each listed community is also tried for writing: an object of the system group (sysContact.0, else sysName.0 or sysLocation.0) is set to the value just read from it, so nothing changes. An SSH server that takes no password (public keys only) has nothing to guess.\n\n## Why it matters\nDefault credentials are the first thing botnets try; a device that accepts one is taken over by anyone on the network, without any exploit. A default write community lets anyone change the device's configuration.\n\n## Evidence\nThe endpoint, the credential accepted and its source, and what the service answered (the shell prompt after the telnet login, USERAUTH_SUCCESS from SSH, `230` from FTP, HTTP 200 with Basic, CONNACK 0, an SNMP GetResponse, noError to the SET).\n\n## How to fix\nShip without working default credentials: generate a unique password per unit, or make the administrator set one before any management function works. Remove default SNMP communities, above all writable ones (use SNMPv3).\n\n## Inconclusive when\nCredential attempts were switched off or cut short, a login service gave no clear answer, the prober's SSH client shares no algorithm with the server, or a login service the probe cannot test yet answered (HTTP Digest or form logins, TLS services its TLS 1.2/1.3 client cannot reach or other protocols over TLS).\n",
        evaluate: default_credentials,
    }
}

fn default_credentials(check: &DefaultCredentials, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(
        &mut judge,
        facts,
        "probe-credentials",
        "default credentials",
    ) {
        return judge.finish(true, "");
    }
    let tried: Vec<_> = facts
        .access_attempts
        .iter()
        .filter(|a| matches!(a.method.as_str(), "password" | "community" | "write"))
        .collect();
    for a in tried.iter().filter(|a| a.accepted) {
        let credential = match (a.method.as_str(), &a.user, &a.secret) {
            ("community" | "write", _, Some(s)) => format!("community {s:?}"),
            (_, Some(u), Some(s)) => format!("{u}:{s}"),
            (_, None, Some(s)) => format!("password {s:?}"),
            (_, Some(u), None) => format!("a password for {u}"),
            _ => "a listed credential".to_owned(),
        };
        let (title, why) = if a.method == "write" {
            (
                format!(
                    "{} accepts the default {credential} for writing",
                    service_of(&a.location)
                ),
                "anyone on the network can change the device's configuration with a publicly known community",
            )
        } else {
            (
                format!(
                    "{} accepts the default credential {credential}",
                    service_of(&a.location)
                ),
                "anyone on the network can log in with a publicly known credential",
            )
        };
        judge.fail(
            &a.location,
            None,
            title,
            format!(
                "{}; credential from the {}; attempt {} of the budget",
                a.proof,
                a.source.as_deref().unwrap_or("credential list"),
                a.attempts
            ),
            why,
            "Remove default credentials: a unique password per unit, or one the administrator must set before use; SNMPv3 instead of communities.",
        );
    }
    // SSH servers that take no password have nothing to guess.
    let keys_only = facts
        .ssh_endpoints
        .iter()
        .filter(|e| !e.auth_methods.is_empty() && !takes_passwords(&e.auth_methods))
        .count();
    let mut services: Vec<&Location> = tried.iter().map(|a| &a.location).collect();
    services.sort();
    services.dedup();
    let services = services.len();
    judge.finish(
        services + keys_only > 0,
        match (services, keys_only) {
            (0, 0) => "the device answered on no login service the probe tests (telnet, SSH, FTP, HTTP Basic, MQTT, SNMP)".to_owned(),
            (n, 0) => format!("no default credential was accepted by the {n} login services tried"),
            (0, k) => format!("{k} SSH services take no password (public keys only); no other login service answered"),
            (n, k) => format!("no default credential was accepted by the {n} login services tried; {k} SSH services take no password"),
        },
    )
}

/// Whether an SSH server's method list takes passwords.
fn takes_passwords(methods: &[String]) -> bool {
    methods
        .iter()
        .any(|m| m == "password" || m == "keyboard-interactive")
}

check! {
    /// Live logins slow down or stop password guessing.
    LoginThrottling {
        id: "live-login-throttling",
        title: "Live logins limit or slow password guessing",
        requirements: ["ECD-2.4"],
        severity: Medium,
        doc: "## What it checks\nHow each SSH server that takes passwords answers a bounded series of wrong ones (10 by default, a pause between them) on one connection, for a user name no device has, so that no real account can be locked out; then whether a new connection opened at once may try again. A server that answers six or more wrong passwords on one connection without slowing down, and lets a new connection try again at once, does nothing against guessing. One that slows its answers (to a second or more), or refuses or delays the new connection, shows a limit. One that only closes the connection after a few failures, and lets the next one in at once, limits guessing per connection only: whether it slows a source across connections would take more attempts than the probe makes, so that is inconclusive. An SSH server that takes no password passes.\n\n## Why it matters\nBotnets run password lists against every login they find; a login that can be tried without limit eventually gives way, however good the password.\n\n## Evidence\nThe endpoint, the number of wrong passwords answered and how fast, where the connection was closed, and how the new connection fared.\n\n## How to fix\nLimit failed logins per connection and per source (OpenSSH `MaxAuthTries 3` and, from 9.8, `PerSourcePenalties`; dropbear's `MAX_AUTH_TRIES` and a firewall rate limit on port 22; fail2ban or pam_faillock), or turn password logins off in favour of keys.\n\n## Inconclusive when\nThe device was not probed or credential attempts were off, the series could not be run, the server limits guessing per connection only, or other login services (telnet, FTP, HTTP, MQTT) answered, whose limits the probe does not measure yet.\n",
        evaluate: login_throttling,
    }
}

/// Wrong passwords one connection may answer, at full speed, before guessing counts as
/// unlimited (OpenSSH's default `MaxAuthTries 6` closes the connection at the sixth).
const UNLIMITED_AFTER: u32 = 6;

fn login_throttling(check: &LoginThrottling, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-credentials", "brute-force limits") {
        return judge.finish(true, "");
    }
    let mut judged = 0usize;
    for t in &facts.login_throttles {
        judged += 1;
        let slowed = t.slowest_answer_ms >= 1000
            && t.slowest_answer_ms >= t.first_answer_ms.saturating_mul(4);
        let reconnect = t.reconnect_answered;
        if t.refused >= UNLIMITED_AFTER && !slowed && reconnect == Some(true) {
            judge.fail(
                &t.location,
                None,
                format!(
                    "{} answers {} wrong passwords per connection at full speed and lets a new connection try again at once",
                    service_of(&t.location),
                    t.refused
                ),
                t.proof.clone(),
                "passwords can be guessed as fast as the attacker's connections allow",
                "Limit failed logins per connection and per source (OpenSSH `MaxAuthTries 3`, `PerSourcePenalties`; dropbear `MAX_AUTH_TRIES` plus a firewall rate limit; fail2ban), or accept keys only.",
            );
        } else if !slowed && reconnect == Some(true) {
            judge.missing(format!(
                "{}: guessing is limited per connection only ({}); whether the device slows a source across connections takes more attempts than the probe makes",
                t.location, t.proof
            ));
        } else if reconnect.is_none() {
            judge.missing(format!(
                "{}: the new connection was not tried ({})",
                t.location, t.proof
            ));
        }
    }
    for e in &facts.ssh_endpoints {
        if e.auth_methods.is_empty() {
            continue;
        }
        if !takes_passwords(&e.auth_methods) {
            judged += 1;
        } else if !facts
            .login_throttles
            .iter()
            .any(|t| t.location == e.location)
        {
            judge.missing(format!(
                "{}: takes passwords, but the wrong-password series did not run",
                e.location
            ));
        }
    }
    // Login services whose limits the probe does not measure.
    let mut other: Vec<String> = facts
        .access_attempts
        .iter()
        .filter(|a| matches!(a.method.as_str(), "password") && service_of(&a.location) != "ssh")
        .map(|a| a.location.to_string())
        .collect();
    other.sort();
    other.dedup();
    if !other.is_empty() {
        judge.missing(format!(
            "how these login services limit guessing is not measured: {}",
            other.join(", ")
        ));
    }
    judge.finish(
        judged > 0,
        format!("{judged} SSH services take no password or slow down guessing"),
    )
}

check! {
    /// No live service grants access without authentication.
    UnauthenticatedAccess {
        id: "live-unauthenticated-access",
        title: "Live services require authentication (no anonymous FTP or MQTT, RTSP, PJL or UPnP control)",
        requirements: ["ECD-2.2", "ECD-8.6"],
        severity: High,
        doc: "## What it checks\nRequests that should need authentication, sent without any: an anonymous FTP login, an MQTT CONNECT without credentials, an RTSP DESCRIBE of the camera stream, a PJL status query on a raw printer port, and a read-only SOAP action (GetStatusInfo) on the UPnP Internet Gateway Device control URL. Nothing is written, published, printed or changed.\n\n## Why it matters\nAn interface that answers without a login gives anyone on the network the device's data and functions: files and configuration backups over FTP, every MQTT topic (often with credentials inside), the live camera stream, the printer's file system and settings, or the gateway's port forwarding.\n\n## Evidence\nThe endpoint, the request and what the device answered (`230 Login successful`, CONNACK 0, `RTSP/1.0 200` with the SDP, the PJL device id, the SOAP reply).\n\n## How to fix\nRequire authentication on every interface: disable anonymous FTP (better, replace FTP with SFTP), set `allow_anonymous false` with per-client credentials or certificates on the broker, require RTSP Digest authentication, set a PJL password or disable raw printing, and disable UPnP IGD (or restrict it to an administrator-approved list).\n\n## Inconclusive when\nThe device was not probed, the probe was cut short, or a service gave no clear answer.\n",
        evaluate: unauthenticated_access,
    }
}

fn unauthenticated_access(check: &UnauthenticatedAccess, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(
        &mut judge,
        facts,
        "probe-services",
        "unauthenticated access",
    ) {
        return judge.finish(true, "");
    }
    let tried: Vec<_> = facts
        .access_attempts
        .iter()
        .filter(|a| matches!(a.method.as_str(), "anonymous" | "none"))
        .collect();
    for a in tried.iter().filter(|a| a.accepted) {
        let service = service_of(&a.location);
        let (title, why) = match service {
            "ftp" => (
                "anonymous FTP login accepted",
                "anyone can read the files the server offers, often configuration backups",
            ),
            "mqtt" => (
                "MQTT broker accepts clients without credentials",
                "anyone can subscribe to every topic and publish commands",
            ),
            "rtsp" => (
                "RTSP stream described without authentication",
                "anyone can watch the camera stream",
            ),
            "pjl" => (
                "raw printer port answers PJL without authentication",
                "anyone can query and change printer settings and its file system, and print",
            ),
            "upnp" => (
                "UPnP IGD control answers without authentication",
                "any host on the network can read and change the gateway's port forwarding",
            ),
            _ => (
                "service answers without authentication",
                "its functions are open to anyone on the network",
            ),
        };
        judge.fail(
            &a.location,
            None,
            title,
            a.proof.clone(),
            why,
            "Require authentication on this interface, or disable it.",
        );
    }
    judge.finish(
        true,
        format!("{} unauthenticated requests were refused", tried.len()),
    )
}

check! {
    /// No cleartext management or discovery service is exposed.
    CleartextServices {
        id: "live-cleartext-services",
        title: "No cleartext management or discovery service is exposed (telnet, FTP, HTTP logins, MQTT, SNMP v1/v2c, SSDP)",
        requirements: ["ECD-3.1", "ECD-8.2"],
        severity: High,
        doc: "## What it checks\nThe services that answered on the live device: telnet, FTP, web logins (HTTP Basic, Digest or a password form) served over plain HTTP, MQTT without TLS, SNMP v1/v2c answering a community, and SSDP answering an M-SEARCH (with what its SERVER header discloses).\n\n## Why it matters\nCleartext protocols hand passwords and sessions to anyone on the path, and every needless listener is attack surface: Mirai spread almost entirely over telnet, and SSDP/UPnP exposes the device's description and control points.\n\n## Evidence\nThe endpoint, the banner or response that identified the service, and for HTTP the authentication asked for.\n\n## How to fix\nDisable telnet and FTP (use SSH and SFTP), serve the web interface over HTTPS only with plain HTTP redirecting, put MQTT behind TLS (8883), use SNMPv3 authPriv only, and disable SSDP/UPnP unless the deployment needs it.\n\n## Inconclusive when\nThe device was not probed or the probe was cut short.\n",
        evaluate: cleartext_services,
    }
}

fn cleartext_services(check: &CleartextServices, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(
        &mut judge,
        facts,
        "probe-services",
        "the services that answer",
    ) {
        return judge.finish(true, "");
    }
    for s in &facts.network_services {
        let banner = s.banner.clone().unwrap_or_default();
        let (severity, title, why) = match service_of(&s.location) {
            "telnet" => (
                Severity::High,
                "telnet is enabled".to_owned(),
                "telnet sends the login and the whole session in cleartext",
            ),
            "ftp" => (
                Severity::Medium,
                "cleartext FTP is enabled".to_owned(),
                "FTP sends credentials and files in cleartext",
            ),
            "mqtt" => (
                Severity::Medium,
                "MQTT without TLS".to_owned(),
                "messages and credentials travel in cleartext",
            ),
            "snmp" => (
                Severity::Medium,
                "SNMP v1/v2c answers a community".to_owned(),
                "communities and management data travel in cleartext",
            ),
            "ssdp" => (
                Severity::Medium,
                if s.product
                    .as_deref()
                    .is_some_and(|p| p.bytes().any(|b| b.is_ascii_digit()))
                {
                    format!(
                        "SSDP answers M-SEARCH and discloses {}",
                        s.product.as_deref().unwrap_or("")
                    )
                } else {
                    "SSDP answers M-SEARCH".to_owned()
                },
                "UPnP discovery advertises the device and its control points to the whole network",
            ),
            _ => continue,
        };
        judge.fail(
            &s.location,
            Some(severity),
            title,
            banner,
            why,
            "Disable the service, or replace it with its encrypted counterpart.",
        );
    }
    for h in facts.http_endpoints.iter().filter(|h| !h.tls) {
        if let Some(scheme) = &h.authentication {
            judge.fail(
                &h.location,
                Some(Severity::High),
                format!("web login ({scheme}) served over cleartext HTTP"),
                format!(
                    "HTTP {} to GET {} asks for {scheme} authentication; no redirect to HTTPS",
                    h.status, h.path
                ),
                "the administrator's password crosses the network in cleartext",
                "Serve the web interface over HTTPS only and make plain HTTP redirect to it.",
            );
        }
    }
    judge.finish(
        true,
        "no cleartext management or discovery service answered",
    )
}

fn version_rank(v: &str) -> u8 {
    match v {
        "SSLv3" => 0,
        "TLSv1.0" => 1,
        "TLSv1.1" => 2,
        "TLSv1.2" => 3,
        _ => 4,
    }
}

check! {
    /// TLS endpoints accept only TLS 1.2 and later.
    TlsVersions {
        id: "live-tls-versions",
        title: "TLS endpoints accept only TLS 1.2 and later",
        requirements: ["ECD-3.1"],
        severity: High,
        doc: "## What it checks\nEvery TLS endpoint of the live device, with hand-built ClientHellos for SSLv3, TLS 1.0, 1.1, 1.2 and 1.3: which versions the server completes a ServerHello for.\n\n## Why it matters\nSSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996): they rely on SHA-1 and MD5 and on CBC constructions with known attacks (POODLE, BEAST, Lucky13), and they let an attacker force a downgrade.\n\n## Evidence\nThe endpoint, the versions accepted and refused.\n\n## How to fix\nAccept TLS 1.2 and TLS 1.3 only (for OpenSSL `MinProtocol = TLSv1.2`; nginx `ssl_protocols TLSv1.2 TLSv1.3`), and enable TLS 1.3.\n\n## Inconclusive when\nThe device was not probed, or the probe was cut short.\n",
        evaluate: tls_versions,
    }
}

fn tls_versions(check: &TlsVersions, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-tls", "TLS versions") {
        return judge.finish(true, "");
    }
    for t in &facts.tls_endpoints {
        let old: Vec<&str> = t
            .accepted_versions
            .iter()
            .map(String::as_str)
            .filter(|v| version_rank(v) < 3)
            .collect();
        if old.is_empty() {
            continue;
        }
        let modern = t.accepted_versions.iter().any(|v| version_rank(v) >= 3);
        judge.fail(
            &t.location,
            Some(if modern {
                Severity::High
            } else {
                Severity::Critical
            }),
            if modern {
                format!("TLS endpoint accepts deprecated {}", old.join(", "))
            } else {
                format!("TLS endpoint speaks only deprecated {}", old.join(", "))
            },
            format!(
                "accepted: {}; refused: {}",
                t.accepted_versions.join(", "),
                t.refused_versions.join(", ")
            ),
            "deprecated protocol versions have known attacks and allow downgrades",
            "Accept TLS 1.2 and 1.3 only.",
        );
    }
    let n = facts.tls_endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("the {n} TLS endpoints accept only TLS 1.2 and later")
        } else {
            "no TLS endpoint answered the probe".to_owned()
        },
    )
}

check! {
    /// TLS endpoints accept only strong cipher suites.
    TlsCiphers {
        id: "live-tls-ciphers",
        title: "TLS endpoints accept only authenticated, forward-secret, strong cipher suites",
        requirements: ["ECD-3.1"],
        severity: High,
        doc: "## What it checks\nThe cipher suites every TLS endpoint accepts, enumerated per version by offering suites until the server refuses: anonymous (unauthenticated) key exchange, NULL and export suites, RC4, DES and 3DES, static-RSA key exchange (no forward secrecy), CBC suites with a SHA-1 MAC, finite-field Diffie-Hellman groups under 2048 bits, and whether the server imposes its order when it offers weak suites.\n\n## Why it matters\nAnonymous suites let anyone in the middle read and change the traffic; NULL, export, RC4 and DES suites are broken; static RSA lets a later key compromise decrypt recorded sessions; 1024-bit DH groups are within reach of well-funded attackers (Logjam); when the server follows the client's order, a client that prefers a weak suite gets it.\n\n## Evidence\nThe endpoint, the suites (IANA names) and versions, the DH group size, the order test.\n\n## How to fix\nOffer ECDHE (or DHE with 2048-bit or larger groups) with AEAD ciphers only: AES-GCM and ChaCha20-Poly1305 on TLS 1.2, and TLS 1.3. Remove anonymous, NULL, export, RC4, DES, 3DES, static-RSA and CBC-SHA1 suites.\n\n## Inconclusive when\nThe device was not probed, or the probe was cut short.\n",
        evaluate: tls_ciphers,
    }
}

fn tls_ciphers(check: &TlsCiphers, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-tls", "TLS cipher suites") {
        return judge.finish(true, "");
    }
    for t in &facts.tls_endpoints {
        let with = |prop: &str| -> Vec<String> {
            let mut names: Vec<String> = t
                .suites
                .iter()
                .filter(|s| s.properties.iter().any(|p| p == prop))
                .map(|s| s.name.clone())
                .collect();
            names.dedup();
            names.sort();
            names.dedup();
            names
        };
        let cbc_sha1: Vec<String> = {
            let mut v: Vec<String> = t
                .suites
                .iter()
                .filter(|s| {
                    s.properties.iter().any(|p| p == "cbc")
                        && s.properties.iter().any(|p| p == "sha1")
                })
                .map(|s| s.name.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let rules: [(&str, Vec<String>, Severity, &str); 5] = [
            (
                "anonymous (unauthenticated) suites accepted",
                with("anonymous"),
                Severity::Critical,
                "without server authentication anyone in the middle can read and change the traffic",
            ),
            (
                "NULL or export suites accepted",
                [with("null"), with("export")].concat(),
                Severity::Critical,
                "NULL suites do not encrypt; export suites are breakable in minutes",
            ),
            (
                "RC4, DES or 3DES suites accepted",
                [with("rc4"), with("des"), with("3des")].concat(),
                Severity::High,
                "these ciphers are broken or have 64-bit blocks (Sweet32)",
            ),
            (
                "static-RSA key exchange accepted (no forward secrecy)",
                with("static-rsa"),
                Severity::Medium,
                "a later compromise of the server key decrypts every recorded session",
            ),
            (
                "CBC suites with a SHA-1 MAC accepted",
                cbc_sha1,
                Severity::Low,
                "MAC-then-encrypt CBC suites have padding-oracle attacks (Lucky13, BEAST on TLS 1.0)",
            ),
        ];
        let mut weak = false;
        for (title, names, severity, why) in rules {
            if names.is_empty() {
                continue;
            }
            weak = true;
            judge.fail(
                &t.location,
                Some(severity),
                format!("TLS {title}"),
                names.join(", "),
                why,
                "Offer ECDHE with AEAD suites only (and TLS 1.3); remove the suites listed.",
            );
        }
        if let Some(bits) = t.dh_bits.filter(|b| *b < 2048) {
            weak = true;
            judge.fail(
                &t.location,
                Some(Severity::Medium),
                format!("TLS finite-field DH group of {bits} bits"),
                format!("ServerKeyExchange carried a {bits}-bit prime"),
                "DH groups under 2048 bits are within reach of precomputation attacks (Logjam)",
                "Use ECDHE, or DHE with a 2048-bit or larger group (RFC 7919 ffdhe2048 and up).",
            );
        }
        if weak && t.server_order == Some(false) {
            judge.fail(
                &t.location,
                Some(Severity::Low),
                "TLS server follows the client's suite order while offering weak suites",
                "the server chose the first suite the client listed in both orders tried",
                "a client that lists a weak suite first gets it",
                "Remove the weak suites (then the order no longer matters), or enforce the server's order.",
            );
        }
    }
    let n = facts.tls_endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("the {n} TLS endpoints accept only authenticated, forward-secret AEAD suites")
        } else {
            "no TLS endpoint answered the probe".to_owned()
        },
    )
}

/// The key size a certificate needs to count as strong.
fn weak_key(c: &PeerCertificate) -> bool {
    match (c.key_algorithm.as_str(), c.key_bits) {
        ("rsa" | "dsa", Some(bits)) => bits < 2048,
        ("ec", Some(bits)) => bits < 256,
        ("dsa", None) => true,
        _ => false,
    }
}

check! {
    /// TLS certificates are valid and strong.
    TlsCertificates {
        id: "live-tls-certificates",
        title: "TLS certificates are current, CA-issued, strong and name the device",
        requirements: ["ECD-3.1", "ECD-3.5"],
        severity: Medium,
        doc: "## What it checks\nThe leaf certificate every TLS endpoint presents: its validity period against the assessment date, whether it is self-signed, its key (RSA or DSA under 2048 bits, EC under 256 bits), its signature algorithm (SHA-1 or MD5), whether a subject alternative name (or, without any, the common name) matches the address or name probed, and whether it is an X.509 v1 certificate (no extensions). Trust in the issuing CA is not judged: device PKIs are usually private.\n\n## Why it matters\nA certificate users must click through teaches them to accept any certificate, which is what an attacker in the middle presents. Weak keys and SHA-1 signatures can be forged; a v1 certificate cannot carry the constraints strict verifiers require.\n\n## Evidence\nThe endpoint, the subject and issuer, validity dates, key, signature algorithm and names.\n\n## How to fix\nIssue each unit a certificate from the organisation's CA (or let administrators install one), with an EC P-256 or RSA-2048+ key, a SHA-256 signature, a subject alternative name for every address and name, and a validity of a year or so; renew it before it expires.\n\n## Inconclusive when\nThe device was not probed, the certificate could not be read (TLS 1.3-only servers send it encrypted), or no assessment date is known for the expiry test.\n",
        evaluate: tls_certificates,
    }
}

fn tls_certificates(check: &TlsCertificates, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-tls", "TLS certificates") {
        return judge.finish(true, "");
    }
    let today = facts.assessed_on.clone();
    if today.is_none() && !facts.tls_endpoints.is_empty() {
        judge.missing("the assessment date, to test certificate expiry");
    }
    for t in &facts.tls_endpoints {
        let Some(leaf) = t.certificates.first() else {
            let anonymous_only = !t.suites.is_empty()
                && t.suites
                    .iter()
                    .all(|s| s.properties.iter().any(|p| p == "anonymous"));
            if !anonymous_only && !t.accepted_versions.is_empty() {
                judge.missing(format!(
                    "the certificate of {}: {}",
                    t.location,
                    t.notes.join("; ")
                ));
            }
            continue;
        };
        let who = format!("{} (issuer {})", leaf.subject, leaf.issuer);
        let mut fail =
            |severity: Severity, title: String, observed: String, why: &str, fix: &str| {
                judge.fail(&t.location, Some(severity), title, observed, why, fix);
            };
        if let Some(day) = &today
            && leaf
                .not_after
                .get(..10)
                .is_some_and(|end| end < day.as_str())
        {
            fail(
                Severity::High,
                format!(
                    "TLS certificate expired on {}",
                    leaf.not_after.get(..10).unwrap_or("")
                ),
                format!("{who}; valid {} to {}", leaf.not_before, leaf.not_after),
                "clients must ignore validation errors to connect, which hides an attacker's certificate",
                "Renew the certificate and automate renewal.",
            );
        }
        if leaf.self_signed {
            fail(
                Severity::Medium,
                "TLS certificate is self-signed".into(),
                who.clone(),
                "no client can tell it from an attacker's certificate without pinning it by hand",
                "Use a certificate from the organisation's CA, or let administrators install one.",
            );
        }
        if weak_key(leaf) {
            fail(
                Severity::High,
                format!(
                    "TLS certificate has a weak {}-{} key",
                    leaf.key_algorithm.to_uppercase(),
                    leaf.key_bits
                        .map(|b| b.to_string())
                        .unwrap_or_else(|| "?".into())
                ),
                who.clone(),
                "keys of this size can be factored or forged",
                "Use an EC P-256 or RSA-2048 (or larger) key.",
            );
        }
        let sig = leaf.signature_algorithm.to_ascii_lowercase();
        if sig.contains("sha1") || sig.contains("md5") || sig.contains("md2") {
            fail(
                Severity::Medium,
                format!("TLS certificate signed with {}", leaf.signature_algorithm),
                who.clone(),
                "SHA-1 and MD5 signatures can be forged by collision",
                "Re-issue the certificate with a SHA-256 (or stronger) signature.",
            );
        }
        if !leaf.matches_host {
            let host = match &t.location {
                Location::Endpoint { host, .. } => host.clone(),
                _ => String::new(),
            };
            fail(
                Severity::Medium,
                "TLS certificate does not name the device".into(),
                format!(
                    "{who}; names: {}; probed as {host}",
                    if leaf.names.is_empty() {
                        "none (no subjectAltName)".to_owned()
                    } else {
                        leaf.names.join(", ")
                    }
                ),
                "clients cannot verify they reached this device",
                "Put every address and name of the device in the subject alternative names.",
            );
        }
        if leaf.version < 3 {
            fail(
                Severity::Low,
                format!("TLS certificate is X.509 version {}", leaf.version),
                who.clone(),
                "a v1 certificate has no extensions (no names, key usage or constraints) and strict verifiers reject it",
                "Issue an X.509 v3 certificate with subjectAltName and keyUsage.",
            );
        }
    }
    let n = facts.tls_endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("the certificates of the {n} TLS endpoints are current, CA-issued, strong and name the device")
        } else {
            "no TLS endpoint answered the probe".to_owned()
        },
    )
}

/// Weak SSH algorithms by list: (list, predicate).
fn weak_kex(name: &str) -> bool {
    name.ends_with("-sha1") || name.contains("group1-") || name.starts_with("rsa1024")
}
fn weak_cipher(name: &str) -> bool {
    name.contains("-cbc")
        || name.starts_with("arcfour")
        || name.starts_with("blowfish")
        || name.starts_with("cast128")
        || name.starts_with("des")
        || name.starts_with("3des")
        || name == "none"
}
fn weak_mac(name: &str) -> bool {
    name.starts_with("hmac-md5")
        || name.starts_with("hmac-sha1")
        || name.starts_with("umac-64")
        || name.starts_with("hmac-ripemd")
        || name == "none"
}

check! {
    /// SSH offers only current algorithms.
    SshAlgorithms {
        id: "live-ssh-algorithms",
        title: "SSH offers only current key exchange, host key, cipher and MAC algorithms",
        requirements: ["ECD-3.1", "ECD-2.3"],
        severity: High,
        doc: "## What it checks\nThe SSH server's KEXINIT (read without logging in) and every host key type it offers (fetched by starting a key exchange for each): SHA-1 and 1024-bit key exchanges (`diffie-hellman-group1-sha1`, `diffie-hellman-group14-sha1`, `diffie-hellman-group-exchange-sha1`), DSA host keys, `ssh-rsa` (SHA-1) signatures and RSA keys under 2048 bits, CBC, 3DES, RC4 and Blowfish ciphers, and MD5, SHA-1, 64-bit UMAC and RIPEMD MACs.\n\n## Why it matters\nThese algorithms are deprecated by RFC 9142 and current OpenSSH: SHA-1 collisions, 1024-bit groups within reach of precomputation, CBC plaintext recovery, and small keys that can be factored. An attacker in the middle can force the weakest common choice.\n\n## Evidence\nThe endpoint, the banner, and the weak algorithms per list, with host key sizes and fingerprints.\n\n## How to fix\nOffer curve25519-sha256 (and sntrup761x25519-sha512 or mlkem768x25519-sha256) key exchange, Ed25519 or RSA-3072+ host keys with rsa-sha2-256/512 signatures, chacha20-poly1305, AES-GCM or AES-CTR ciphers, and encrypt-then-MAC SHA-2 MACs; remove the rest.\n\n## Inconclusive when\nThe device was not probed, or the probe was cut short.\n",
        evaluate: ssh_algorithms,
    }
}

fn ssh_algorithms(check: &SshAlgorithms, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-ssh", "SSH algorithms") {
        return judge.finish(true, "");
    }
    for s in &facts.ssh_endpoints {
        let pick = |list: &[String], weak: fn(&str) -> bool| -> Vec<String> {
            list.iter().filter(|n| weak(n)).cloned().collect()
        };
        let kex = pick(&s.kex, weak_kex);
        if !kex.is_empty() {
            judge.fail(&s.location, Some(Severity::High), "SSH offers weak key exchange", format!("kex: {} (banner {})", kex.join(", "), s.banner), "SHA-1 and 1024-bit key exchanges are deprecated (RFC 9142) and weaken every session", "Offer curve25519-sha256 (and a hybrid post-quantum exchange) only.");
        }
        let mut host: Vec<String> = s
            .host_key_algorithms
            .iter()
            .filter(|a| matches!(a.as_str(), "ssh-dss" | "ssh-rsa") || a.contains("ssh-dss"))
            .map(|a| format!("{a} (SHA-1 or DSA signatures)"))
            .collect();
        for k in &s.host_keys {
            let small = match (k.key_type.as_str(), k.bits) {
                ("ssh-rsa", Some(bits)) => bits < 2048,
                ("ssh-dss", _) => true,
                _ => false,
            };
            if small {
                host.push(format!(
                    "{} key of {} bits ({})",
                    k.key_type,
                    k.bits.map(|b| b.to_string()).unwrap_or_else(|| "?".into()),
                    k.fingerprint
                ));
            }
        }
        if !host.is_empty() {
            judge.fail(&s.location, Some(Severity::High), "SSH host keys or their signatures are weak", host.join("; "), "DSA keys, RSA keys under 2048 bits and SHA-1 signatures can be forged, so the server cannot be authenticated", "Use an Ed25519 or RSA-3072+ host key with rsa-sha2-256/512 signatures; remove ssh-dss and ssh-rsa.");
        }
        let ciphers = pick(&s.ciphers, weak_cipher);
        if !ciphers.is_empty() {
            judge.fail(
                &s.location,
                Some(Severity::Medium),
                "SSH offers weak ciphers",
                format!("ciphers: {}", ciphers.join(", ")),
                "CBC modes allow plaintext recovery; 3DES, RC4 and Blowfish are obsolete",
                "Offer chacha20-poly1305, AES-GCM or AES-CTR only.",
            );
        }
        let macs = pick(&s.macs, weak_mac);
        if !macs.is_empty() {
            judge.fail(
                &s.location,
                Some(Severity::Medium),
                "SSH offers weak MACs",
                format!("macs: {}", macs.join(", ")),
                "MD5 and SHA-1 MACs (and encrypt-and-MAC) are deprecated",
                "Offer encrypt-then-MAC SHA-2 MACs (hmac-sha2-256-etm@openssh.com) only.",
            );
        }
    }
    let n = facts.ssh_endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("the {n} SSH servers offer only current algorithms")
        } else {
            "no SSH server answered the probe".to_owned()
        },
    )
}

check! {
    /// Web responses carry security headers and no version banner.
    HttpHeaders {
        id: "live-http-headers",
        title: "Web pages carry security headers and the server discloses no version",
        requirements: ["ECD-8.6"],
        severity: Low,
        doc: "## What it checks\nThe responses of the live device's web servers to `GET /`: for a page the server serves (status 200, 401 or 403; redirects are not judged), Content-Security-Policy, X-Frame-Options (or a CSP `frame-ancestors`), X-Content-Type-Options, and over HTTPS Strict-Transport-Security; and whether the `Server` header names a product version.\n\n## Why it matters\nWithout these headers the admin interface can be framed for clickjacking, content can be sniffed into script, and an HTTPS session can be downgraded; a version in the `Server` header lets attackers match the device to public exploits.\n\n## Evidence\nThe endpoint, the status and the headers missing or disclosing.\n\n## How to fix\nSend `Content-Security-Policy` (with `frame-ancestors 'none'`), `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, and over HTTPS `Strict-Transport-Security`; remove the version from `Server` (nginx `server_tokens off`).\n\n## Inconclusive when\nThe device was not probed or the probe was cut short.\n",
        evaluate: http_headers,
    }
}

fn http_headers(check: &HttpHeaders, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !needs_probe(&mut judge, facts, "probe-http", "web responses") {
        return judge.finish(true, "");
    }
    for h in &facts.http_endpoints {
        if let Some(server) = h.headers.get("server")
            && server.bytes().any(|b| b.is_ascii_digit())
        {
            judge.fail(
                &h.location,
                Some(Severity::Low),
                format!("Server header discloses {server}"),
                format!("HTTP {}: Server: {server}", h.status),
                "a product version lets attackers pick matching exploits",
                "Remove the version from the Server header.",
            );
        }
        if !matches!(h.status, 200 | 401 | 403) {
            continue;
        }
        let has = |name: &str| h.headers.contains_key(name);
        let csp_frames = h
            .headers
            .get("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors"));
        let mut missing = Vec::new();
        if !has("content-security-policy") {
            missing.push("Content-Security-Policy");
        }
        if !has("x-frame-options") && !csp_frames {
            missing.push("X-Frame-Options");
        }
        if !has("x-content-type-options") {
            missing.push("X-Content-Type-Options");
        }
        if h.tls && !has("strict-transport-security") {
            missing.push("Strict-Transport-Security");
        }
        if !missing.is_empty() {
            judge.fail(
                &h.location,
                Some(Severity::Low),
                "web page lacks security headers",
                format!(
                    "HTTP {} to GET {} without {}",
                    h.status,
                    h.path,
                    missing.join(", ")
                ),
                "the admin interface can be framed, sniffed or downgraded",
                "Send the missing headers on every response.",
            );
        }
    }
    let n = facts.http_endpoints.len();
    judge.finish(
        n > 0,
        if n > 0 {
            format!("the {n} web responses carry security headers (redirects are not judged) and disclose no version")
        } else {
            "no web server answered the probe".to_owned()
        },
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use hallmark_model::facts::{
        AccessAttempt, Coverage, HttpEndpoint, LoginThrottle, NetworkService, SshEndpoint,
        SshHostKey, TlsEndpoint, TlsSuite,
    };
    use hallmark_model::{Transport, Verdict};

    use super::*;
    use crate::checks::tests_support::Fixture;

    const PROBE: &[&str] = &[
        "probe-credentials",
        "probe-http",
        "probe-ports",
        "probe-services",
        "probe-ssh",
        "probe-tls",
        "probe-udp",
    ];

    fn at(port: u16, service: &str) -> Location {
        Location::Endpoint {
            host: "192.0.2.10".into(),
            port: Some(port),
            transport: if matches!(service, "snmp" | "ssdp") {
                Transport::Udp
            } else {
                Transport::Tcp
            },
            service: Some(service.into()),
        }
    }

    /// Facts of a completed probe, filled by `fill`.
    fn probed(fill: impl FnOnce(&mut Facts)) -> Facts {
        let mut facts = Facts::default();
        for id in PROBE {
            facts.coverage.insert(
                (*id).to_owned(),
                Coverage {
                    status: CoverageStatus::Complete,
                    examined: 1,
                    notes: Vec::new(),
                },
            );
        }
        facts.assessed_on = Some("2026-01-01".into());
        fill(&mut facts);
        facts
    }

    fn access(
        port: u16,
        service: &str,
        method: &str,
        accepted: bool,
        credential: Option<(&str, &str)>,
    ) -> AccessAttempt {
        AccessAttempt {
            location: at(port, service),
            method: method.into(),
            user: credential.map(|c| c.0.to_owned()).filter(|u| !u.is_empty()),
            secret: credential.map(|c| c.1.to_owned()),
            source: credential.map(|_| "common vendor default".to_owned()),
            accepted,
            attempts: 1,
            proof: if accepted {
                "shell prompt \"# \" after login".into()
            } else {
                "6 of 6 attempts refused".into()
            },
        }
    }

    fn service(port: u16, name: &str, banner: &str, product: Option<&str>) -> NetworkService {
        NetworkService {
            location: at(port, name),
            identified_by: "banner".into(),
            banner: Some(banner.into()),
            product: product.map(str::to_owned),
            tls: false,
        }
    }

    fn suite(version: &str, id: u16, name: &str, props: &[&str]) -> TlsSuite {
        TlsSuite {
            version: version.into(),
            id,
            name: name.into(),
            properties: props.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn cert(weak: bool) -> PeerCertificate {
        PeerCertificate {
            subject: if weak {
                "CN=IPCam-2000"
            } else {
                "CN=cam.example"
            }
            .into(),
            issuer: if weak {
                "CN=IPCam-2000"
            } else {
                "CN=Example CA"
            }
            .into(),
            not_before: "2019-01-01T00:00:00Z".into(),
            not_after: if weak {
                "2020-01-01T00:00:00Z"
            } else {
                "2027-01-01T00:00:00Z"
            }
            .into(),
            version: if weak { 1 } else { 3 },
            self_signed: weak,
            key_algorithm: if weak { "rsa" } else { "ec" }.into(),
            key_bits: Some(if weak { 1024 } else { 256 }),
            signature_algorithm: if weak {
                "sha1WithRSAEncryption"
            } else {
                "ecdsa-with-SHA256"
            }
            .into(),
            names: if weak {
                Vec::new()
            } else {
                vec!["IP:192.0.2.10".into()]
            },
            matches_host: !weak,
            sha256: "00".into(),
        }
    }

    fn tls(weak: bool) -> TlsEndpoint {
        TlsEndpoint {
            location: at(443, "https"),
            accepted_versions: if weak {
                vec!["TLSv1.0".into(), "TLSv1.2".into()]
            } else {
                vec!["TLSv1.2".into(), "TLSv1.3".into()]
            },
            refused_versions: vec!["SSLv3".into()],
            suites: if weak {
                vec![
                    suite(
                        "TLSv1.0",
                        0x002F,
                        "TLS_RSA_WITH_AES_128_CBC_SHA",
                        &["static-rsa", "cbc", "sha1"],
                    ),
                    suite(
                        "TLSv1.0",
                        0x0034,
                        "TLS_DH_anon_WITH_AES_128_CBC_SHA",
                        &["anonymous", "cbc", "sha1"],
                    ),
                ]
            } else {
                vec![
                    suite(
                        "TLSv1.2",
                        0xC02B,
                        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                        &["forward-secrecy", "aead"],
                    ),
                    suite(
                        "TLSv1.3",
                        0x1301,
                        "TLS_AES_128_GCM_SHA256",
                        &["forward-secrecy", "aead"],
                    ),
                ]
            },
            server_order: Some(false),
            dh_bits: weak.then_some(1024),
            certificates: vec![cert(weak)],
            notes: Vec::new(),
        }
    }

    fn ssh(weak: bool) -> SshEndpoint {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        SshEndpoint {
            location: at(22, "ssh"),
            banner: "SSH-2.0-OpenSSH_9.2p1".into(),
            kex: if weak {
                list(&["diffie-hellman-group1-sha1"])
            } else {
                list(&["curve25519-sha256", "kex-strict-s-v00@openssh.com"])
            },
            host_key_algorithms: if weak {
                list(&["ssh-rsa", "ssh-dss"])
            } else {
                list(&["ssh-ed25519", "rsa-sha2-512"])
            },
            ciphers: if weak {
                list(&["3des-cbc", "aes128-ctr"])
            } else {
                list(&["chacha20-poly1305@openssh.com"])
            },
            macs: if weak {
                list(&["hmac-md5"])
            } else {
                list(&["hmac-sha2-256-etm@openssh.com"])
            },
            host_keys: vec![SshHostKey {
                algorithm: if weak { "ssh-rsa" } else { "rsa-sha2-512" }.into(),
                key_type: "ssh-rsa".into(),
                bits: Some(if weak { 1024 } else { 4096 }),
                fingerprint: "SHA256:x".into(),
            }],
            auth_methods: if weak {
                list(&["publickey", "password"])
            } else {
                list(&["publickey"])
            },
            notes: Vec::new(),
        }
    }

    fn throttle(
        refused: u32,
        closed_after: Option<u32>,
        slowest: u64,
        reconnect: bool,
    ) -> LoginThrottle {
        LoginThrottle {
            location: at(22, "ssh"),
            method: "password".into(),
            user: "hallmark-probe-nosuchuser".into(),
            attempts: closed_after.unwrap_or(refused),
            refused,
            closed_after,
            first_answer_ms: 5,
            slowest_answer_ms: slowest,
            reconnect_answered: Some(reconnect),
            proof: format!("{refused} wrong passwords refused"),
        }
    }

    fn http(status: u16, tls: bool, headers: &[(&str, &str)], auth: Option<&str>) -> HttpEndpoint {
        HttpEndpoint {
            location: at(
                if tls { 443 } else { 80 },
                if tls { "https" } else { "http" },
            ),
            tls,
            path: "/".into(),
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            authentication: auth.map(str::to_owned),
            title: None,
        }
    }

    fn secure_headers() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("strict-transport-security", "max-age=63072000"),
            ("server", "nginx"),
        ]
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let nothing = Facts::default();
        let partial_credentials = {
            let mut f = probed(|f| {
                f.access_attempts
                    .push(access(23, "telnet", "password", false, Some(("admin", ""))))
            });
            if let Some(c) = f.coverage.get_mut("probe-credentials") {
                c.status = CoverageStatus::Partial;
                c.notes
                    .push("192.0.2.10:80/tcp (http): digest logins are not tried yet".into());
            }
            f
        };
        vec![
            (
                "live-default-credentials",
                Fail,
                probed(|f| {
                    f.access_attempts.push(access(
                        23,
                        "telnet",
                        "password",
                        true,
                        Some(("admin", "admin")),
                    ))
                }),
            ),
            (
                "live-default-credentials",
                Fail,
                probed(|f| {
                    f.access_attempts.push(access(
                        161,
                        "snmp",
                        "community",
                        true,
                        Some(("", "public")),
                    ))
                }),
            ),
            (
                "live-default-credentials",
                Pass,
                probed(|f| {
                    f.access_attempts.push(access(
                        23,
                        "telnet",
                        "password",
                        false,
                        Some(("admin", "")),
                    ))
                }),
            ),
            (
                "live-default-credentials",
                Inconclusive,
                partial_credentials,
            ),
            ("live-default-credentials", Inconclusive, nothing.clone()),
            (
                "live-default-credentials",
                Fail,
                probed(|f| {
                    f.access_attempts.push(access(
                        161,
                        "snmp",
                        "write",
                        true,
                        Some(("", "private")),
                    ))
                }),
            ),
            // An SSH server that takes keys only has no password to guess.
            (
                "live-default-credentials",
                Pass,
                probed(|f| f.ssh_endpoints.push(ssh(false))),
            ),
            (
                "live-login-throttling",
                Fail,
                probed(|f| {
                    f.ssh_endpoints.push(ssh(true));
                    f.login_throttles.push(throttle(9, Some(10), 12, true));
                }),
            ),
            // Slowing down is a limit.
            (
                "live-login-throttling",
                Pass,
                probed(|f| {
                    f.ssh_endpoints.push(ssh(true));
                    f.login_throttles.push(throttle(4, None, 3000, true));
                }),
            ),
            (
                "live-login-throttling",
                Pass,
                probed(|f| f.ssh_endpoints.push(ssh(false))),
            ),
            // Closing after five failures but letting the next connection in: per
            // connection only.
            (
                "live-login-throttling",
                Inconclusive,
                probed(|f| {
                    f.ssh_endpoints.push(ssh(true));
                    f.login_throttles.push(throttle(5, Some(6), 12, true));
                }),
            ),
            // Password logins elsewhere are not measured.
            (
                "live-login-throttling",
                Inconclusive,
                probed(|f| {
                    f.ssh_endpoints.push(ssh(false));
                    f.access_attempts.push(access(
                        23,
                        "telnet",
                        "password",
                        false,
                        Some(("admin", "")),
                    ));
                }),
            ),
            ("live-login-throttling", Inconclusive, nothing.clone()),
            (
                "live-unauthenticated-access",
                Fail,
                probed(|f| {
                    f.access_attempts
                        .push(access(21, "ftp", "anonymous", true, None));
                    f.access_attempts
                        .push(access(554, "rtsp", "none", true, None));
                }),
            ),
            (
                "live-unauthenticated-access",
                Pass,
                probed(|f| {
                    f.access_attempts
                        .push(access(1883, "mqtt", "anonymous", false, None))
                }),
            ),
            ("live-unauthenticated-access", Inconclusive, nothing.clone()),
            (
                "live-cleartext-services",
                Fail,
                probed(|f| {
                    f.network_services
                        .push(service(23, "telnet", "\\xff\\xfd\\x18", None));
                    f.network_services.push(service(
                        1900,
                        "ssdp",
                        "HTTP/1.1 200",
                        Some("Linux/3.10 UPnP/1.1 MiniUPnPd/2.3.1"),
                    ));
                }),
            ),
            (
                "live-cleartext-services",
                Fail,
                probed(|f| f.http_endpoints.push(http(401, false, &[], Some("basic")))),
            ),
            (
                "live-cleartext-services",
                Pass,
                probed(|f| {
                    f.network_services.push(service(
                        22,
                        "ssh",
                        "SSH-2.0-OpenSSH_9.2p1",
                        Some("OpenSSH_9.2p1"),
                    ));
                    f.http_endpoints.push(http(
                        301,
                        false,
                        &[("location", "https://192.0.2.10/")],
                        None,
                    ));
                }),
            ),
            ("live-cleartext-services", Inconclusive, nothing.clone()),
            (
                "live-tls-versions",
                Fail,
                probed(|f| f.tls_endpoints.push(tls(true))),
            ),
            (
                "live-tls-versions",
                Pass,
                probed(|f| f.tls_endpoints.push(tls(false))),
            ),
            ("live-tls-versions", Inconclusive, nothing.clone()),
            (
                "live-tls-ciphers",
                Fail,
                probed(|f| f.tls_endpoints.push(tls(true))),
            ),
            // Client order with strong suites only is not a weakness.
            (
                "live-tls-ciphers",
                Pass,
                probed(|f| f.tls_endpoints.push(tls(false))),
            ),
            ("live-tls-ciphers", Inconclusive, nothing.clone()),
            (
                "live-tls-certificates",
                Fail,
                probed(|f| f.tls_endpoints.push(tls(true))),
            ),
            (
                "live-tls-certificates",
                Pass,
                probed(|f| f.tls_endpoints.push(tls(false))),
            ),
            (
                "live-tls-certificates",
                Inconclusive,
                probed(|f| {
                    f.assessed_on = None;
                    f.tls_endpoints.push(tls(false));
                }),
            ),
            ("live-tls-certificates", Inconclusive, nothing.clone()),
            (
                "live-ssh-algorithms",
                Fail,
                probed(|f| f.ssh_endpoints.push(ssh(true))),
            ),
            (
                "live-ssh-algorithms",
                Pass,
                probed(|f| f.ssh_endpoints.push(ssh(false))),
            ),
            ("live-ssh-algorithms", Inconclusive, nothing.clone()),
            (
                "live-http-headers",
                Fail,
                probed(|f| {
                    f.http_endpoints.push(http(
                        401,
                        false,
                        &[("server", "nginx/1.22.1")],
                        Some("basic"),
                    ))
                }),
            ),
            (
                "live-http-headers",
                Pass,
                probed(|f| {
                    f.http_endpoints
                        .push(http(301, false, &[("server", "nginx")], None));
                    f.http_endpoints
                        .push(http(401, true, &secure_headers(), Some("basic")));
                }),
            ),
            ("live-http-headers", Inconclusive, nothing),
        ]
    }

    fn titles(id: &str, facts: &Facts) -> Vec<String> {
        let check = crate::CHECKS.iter().find(|c| c.id() == id).unwrap();
        check
            .evaluate(facts)
            .findings
            .into_iter()
            .map(|f| f.title)
            .collect()
    }

    #[test]
    fn weak_endpoints_give_one_finding_per_weakness() {
        let weak = probed(|f| {
            f.tls_endpoints.push(tls(true));
            f.ssh_endpoints.push(ssh(true));
        });
        assert_eq!(
            titles("live-tls-ciphers", &weak),
            [
                "TLS anonymous (unauthenticated) suites accepted",
                "TLS static-RSA key exchange accepted (no forward secrecy)",
                "TLS CBC suites with a SHA-1 MAC accepted",
                "TLS finite-field DH group of 1024 bits",
                "TLS server follows the client's suite order while offering weak suites",
            ]
        );
        assert_eq!(
            titles("live-tls-certificates", &weak),
            [
                "TLS certificate expired on 2020-01-01",
                "TLS certificate is self-signed",
                "TLS certificate has a weak RSA-1024 key",
                "TLS certificate signed with sha1WithRSAEncryption",
                "TLS certificate does not name the device",
                "TLS certificate is X.509 version 1",
            ]
        );
        assert_eq!(
            titles("live-ssh-algorithms", &weak),
            [
                "SSH offers weak key exchange",
                "SSH host keys or their signatures are weak",
                "SSH offers weak ciphers",
                "SSH offers weak MACs",
            ]
        );
    }
}
