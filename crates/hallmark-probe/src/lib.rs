//! Hallmark's network prober: safe, bounded probes of a live device that produce the same
//! [`Facts`] as the firmware collectors, so the same checks judge both.
//!
//! What it does, in order, all under one deadline:
//!
//! 1. a TCP connect scan of the chosen ports (bounded concurrency, a per-host rate limit,
//!    connect timeouts; it gives up early on a host that answers nothing);
//! 2. service identification from banners and protocol opening messages (SSH, telnet, FTP,
//!    SMTP, HTTP, TLS, RTSP, MQTT, PJL on raw printer ports only), plus SNMP and SSDP over UDP;
//! 3. TLS: accepted versions from SSLv3 to TLS 1.3 and cipher suites (including anonymous,
//!    export and NULL) through hand-built ClientHellos, the server's order, the DH group size and
//!    the certificate chain;
//! 4. SSH: the KEXINIT algorithm lists and every host key type, then, with the prober's own small
//!    SSH client, the authentication methods offered;
//! 5. HTTP: the response to `/` (status, headers, authentication asked);
//! 6. access attempts: listed default credentials over telnet, SSH, FTP, HTTP Basic, MQTT and
//!    SNMP (a small budget per service, a delay between attempts, stopping at the first
//!    success), anonymous FTP and MQTT, and requests that should need authentication (RTSP
//!    DESCRIBE, PJL status, UPnP control reads);
//! 7. brute-force resistance: a bounded series of wrong passwords on one SSH connection, for a
//!    user name no device has (so no account is locked out), and one more on a new connection;
//! 8. SNMP write access: with a community that reads, an object of the system group is set to
//!    the value just read from it.
//!
//! Nothing is printed, published or changed on the device: the one write, the SNMP SET of step
//! 8, writes back the value the object already holds. Every read has a size cap and a timeout;
//! garbage from a device is recorded, never trusted. `credentials: None` turns steps 6 (but
//! the anonymous and unauthenticated requests), 7 and 8 off.
//!
//! ```no_run
//! use hallmark_probe::{ProbeConfig, probe_blocking};
//!
//! let facts = probe_blocking("192.0.2.10", &ProbeConfig::default())?;
//! for service in &facts.network_services {
//!     println!("{}", service.location);
//! }
//! # Ok::<(), hallmark_probe::ProbeError>(())
//! ```

mod access;
mod credentials;
mod http;
mod identify;
mod modp;
mod net;
mod ports;
mod ssh;
mod ssh_auth;
mod ssh_client;
mod suites;
mod tls;
mod wire;

use std::net::IpAddr;
use std::time::Duration;

use hallmark_model::Location;
use hallmark_model::facts::{Coverage, CoverageStatus, Facts, NetworkService};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

pub use credentials::{BUNDLED, Credential, bundled, parse as parse_credentials};
pub use ports::{PortSpec, TOP_PORTS};

use access::Try;
use net::Target;

/// Errors before probing starts (the probe itself records what went wrong as facts).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A port list that does not parse.
    #[error(
        "invalid port list {0:?}: expected `top`, `all`, or ports and ranges like `22,80,8000-8100`"
    )]
    Ports(String),
    /// A credential list line that does not parse.
    #[error("{origin}:{line}: {reason}")]
    Credentials {
        /// The list (a file name).
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Resolve {
        /// The host as given.
        host: String,
        /// Why.
        reason: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the probe runtime: {0}")]
    Runtime(String),
}

/// Time and size limits of a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a TCP connection to open.
    pub connect_timeout: Duration,
    /// Time allowed for an answer to a probe.
    pub read_timeout: Duration,
    /// Time a port is given to speak first (a banner).
    pub banner_wait: Duration,
    /// Time allowed for each step of a login (prompt, answer).
    pub login_wait: Duration,
    /// The whole probe, scan included; what is unfinished then is recorded as partial.
    pub deadline: Duration,
    /// Connections open at once during the port scan.
    pub scan_concurrency: usize,
    /// Connection starts per second during the port scan.
    pub scan_per_second: u32,
    /// Ports probed at once after the scan.
    pub service_concurrency: usize,
    /// Connection starts per second for service probes and logins.
    pub probes_per_second: u32,
    /// Login attempts per service at most.
    pub attempts_per_service: u32,
    /// Pause between two login attempts on one service.
    pub attempt_delay: Duration,
    /// Wrong passwords sent on one connection to see whether a login service limits or slows
    /// guessing (SSH; for a user name no device has, so no account is locked out).
    pub throttle_attempts: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect_timeout: Duration::from_millis(1000),
            read_timeout: Duration::from_millis(1500),
            banner_wait: Duration::from_millis(700),
            login_wait: Duration::from_millis(3000),
            deadline: Duration::from_secs(300),
            scan_concurrency: 256,
            scan_per_second: 20_000,
            service_concurrency: 4,
            probes_per_second: 20,
            attempts_per_service: 6,
            attempt_delay: Duration::from_millis(300),
            throttle_attempts: 10,
        }
    }
}

/// What to probe and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    /// TCP ports to scan.
    pub ports: PortSpec,
    /// Credentials to try, or `None` to try none (anonymous and unauthenticated requests are
    /// still made: they guess nothing).
    pub credentials: Option<Vec<Credential>>,
    /// Probe UDP services (SNMP on 161, SSDP on 1900).
    pub udp: bool,
    /// Limits.
    pub limits: Limits,
}

impl Default for ProbeConfig {
    fn default() -> ProbeConfig {
        ProbeConfig {
            ports: PortSpec::Top,
            credentials: Some(bundled()),
            udp: true,
            limits: Limits::default(),
        }
    }
}

/// Coverage ids this crate records.
pub const COVERAGE_IDS: &[&str] = &[
    "probe-credentials",
    "probe-http",
    "probe-ports",
    "probe-services",
    "probe-ssh",
    "probe-tls",
    "probe-udp",
];

fn coverage(status: CoverageStatus, examined: u64, notes: Vec<String>) -> Coverage {
    Coverage {
        status: if status == CoverageStatus::Complete && !notes.is_empty() {
            CoverageStatus::Partial
        } else {
            status
        },
        examined,
        notes,
    }
}

/// Probes `host` on a runtime of its own (for callers that are not async).
pub fn probe_blocking(host: &str, config: &ProbeConfig) -> Result<Facts, ProbeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ProbeError::Runtime(e.to_string()))?;
    runtime.block_on(probe(host, config))
}

async fn resolve(host: &str) -> Result<IpAddr, ProbeError> {
    let trimmed = host.trim_matches(['[', ']']);
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        return Ok(ip);
    }
    let err = |reason: String| ProbeError::Resolve {
        host: host.to_owned(),
        reason,
    };
    let mut addrs = tokio::net::lookup_host((trimmed, 0))
        .await
        .map_err(|e| err(e.to_string()))?;
    addrs
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| err("no address".into()))
}

/// What one port's probes found, merged into the facts at the end.
#[derive(Default)]
struct PortWork {
    facts: Facts,
    credential_notes: Vec<String>,
    logins_tried: u64,
}

/// Probes `host` as configured.
pub async fn probe(host: &str, config: &ProbeConfig) -> Result<Facts, ProbeError> {
    let ip = resolve(host).await?;
    let target = Target::new(
        host.trim_matches(['[', ']']).to_owned(),
        ip,
        config.limits.clone(),
    );
    let deadline = Instant::now() + config.limits.deadline;
    let mut facts = Facts::default();

    // 1. Port scan.
    let ports = config.ports.ports();
    let scan = timeout_at(deadline, ports::scan(&target, &ports)).await;
    let mut notes = Vec::new();
    let open = match &scan {
        Ok(result) => {
            if result.gave_up {
                notes.push(format!(
                    "{host} answered none of the first {} ports (no open port, no reset): it is down or filters everything; the scan stopped",
                    result.silent.saturating_add(result.unreachable)
                ));
            } else if result.open.is_empty() && result.refused == 0 {
                notes.push(format!(
                    "{host} answered none of the {} ports tried (no open port, no reset): it is down or filters everything",
                    ports.len()
                ));
            } else if result.silent > 0 {
                // Some ports silent, others answered: a filter; the silent ports are unknown.
                notes.push(format!(
                    "{} of {} ports gave no answer (filtered): what listens there is unknown",
                    result.silent,
                    ports.len()
                ));
            }
            result.open.clone()
        }
        Err(_) => {
            notes.push("the deadline passed during the port scan".into());
            Vec::new()
        }
    };
    let host_answered = scan
        .as_ref()
        .is_ok_and(|r| !r.open.is_empty() || r.refused > 0);
    facts.coverage.insert(
        "probe-ports".into(),
        coverage(
            CoverageStatus::Complete,
            u64::try_from(ports.len()).unwrap_or(u64::MAX),
            notes,
        ),
    );
    if !host_answered {
        // Nothing else can be learnt from a host that does not answer.
        for id in COVERAGE_IDS.iter().filter(|id| **id != "probe-ports") {
            facts.coverage.insert(
                (*id).to_owned(),
                coverage(
                    CoverageStatus::NotRun,
                    0,
                    vec![format!("{host} did not answer the port scan")],
                ),
            );
        }
        return Ok(facts);
    }

    // 2-6. Each open port, a few at a time.
    let permits = std::sync::Arc::new(Semaphore::new(config.limits.service_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for &port in &open {
        let target = target.clone();
        let credentials = config.credentials.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            port_work(&target, port, credentials.as_deref()).await
        });
    }
    let mut udp_work = None;
    if config.udp {
        let target = target.clone();
        let credentials = config.credentials.clone();
        udp_work = Some(tokio::spawn(async move {
            udp(&target, credentials.as_deref()).await
        }));
    }
    let mut finished = 0u64;
    let mut credential_notes = Vec::new();
    let mut logins_tried = 0u64;
    let mut timed_out = false;
    loop {
        match timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok(work))) => {
                finished += 1;
                credential_notes.extend(work.credential_notes);
                logins_tried += work.logins_tried;
                facts.absorb(work.facts);
            }
            Ok(Some(Err(_))) => finished += 1,
            Ok(None) => break,
            Err(_) => {
                timed_out = true;
                tasks.abort_all();
                break;
            }
        }
    }
    let mut udp_note = Vec::new();
    match udp_work {
        Some(handle) => match timeout_at(deadline, handle).await {
            Ok(Ok(work)) => {
                credential_notes.extend(work.credential_notes);
                logins_tried += work.logins_tried;
                facts.absorb(work.facts);
            }
            _ => udp_note.push("the deadline passed before the UDP probes finished".to_owned()),
        },
        None => udp_note.push("UDP probes were not asked for".to_owned()),
    }
    let unfinished = if timed_out {
        vec![format!(
            "the deadline passed: {} of {} open ports were not fully probed",
            open.len() as u64 - finished.min(open.len() as u64),
            open.len()
        )]
    } else {
        Vec::new()
    };
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let services = facts.network_services.len();
    for (id, examined) in [
        ("probe-services", count(services)),
        ("probe-tls", count(facts.tls_endpoints.len())),
        ("probe-ssh", count(facts.ssh_endpoints.len())),
        ("probe-http", count(facts.http_endpoints.len())),
    ] {
        facts.coverage.insert(
            id.into(),
            coverage(CoverageStatus::Complete, examined, unfinished.clone()),
        );
    }
    facts.coverage.insert(
        "probe-udp".into(),
        coverage(CoverageStatus::Complete, 2, udp_note),
    );
    let mut notes = unfinished;
    notes.extend(credential_notes);
    facts.coverage.insert(
        "probe-credentials".into(),
        if config.credentials.is_none() {
            coverage(
                CoverageStatus::NotRun,
                0,
                vec!["credential attempts were switched off (--credentials none)".into()],
            )
        } else {
            coverage(CoverageStatus::Complete, logins_tried, notes)
        },
    );
    sort(&mut facts);
    Ok(facts)
}

/// Stable order, whatever the scheduling.
fn sort(facts: &mut Facts) {
    facts
        .network_services
        .sort_by(|a, b| a.location.cmp(&b.location));
    facts
        .tls_endpoints
        .sort_by(|a, b| a.location.cmp(&b.location));
    facts
        .ssh_endpoints
        .sort_by(|a, b| a.location.cmp(&b.location));
    facts
        .http_endpoints
        .sort_by(|a, b| a.location.cmp(&b.location));
    facts
        .access_attempts
        .sort_by(|a, b| (&a.location, &a.method).cmp(&(&b.location, &b.method)));
}

fn service_name(location: &Location) -> &str {
    match location {
        Location::Endpoint {
            service: Some(s), ..
        } => s,
        _ => "",
    }
}

/// Tries `list` in order with `attempt`, within the budget, pausing between attempts and
/// stopping at the first success.
async fn try_list<'c, F, Fut>(
    target: &Target,
    location: Location,
    method: &str,
    list: Vec<&'c Credential>,
    work: &mut PortWork,
    attempt: F,
) where
    F: Fn(&'c Credential) -> Fut,
    Fut: std::future::Future<Output = Try>,
{
    let budget = usize::try_from(target.limits.attempts_per_service).unwrap_or(usize::MAX);
    let mut tried = 0u32;
    let mut refused = 0u32;
    let mut last = String::new();
    let mut last_user = None;
    for credential in list.into_iter().take(budget) {
        if tried > 0 {
            tokio::time::sleep(target.limits.attempt_delay).await;
        }
        tried += 1;
        work.logins_tried += 1;
        last_user = Some(credential.user.clone());
        match attempt(credential).await {
            Try::Accepted(proof) => {
                let mut record = access::attempt(location, method, true, tried, proof);
                record.user = Some(credential.user.clone()).filter(|u| !u.is_empty());
                record.secret = Some(credential.secret.clone());
                record.source = Some(credential.source.clone());
                work.facts.access_attempts.push(record);
                return;
            }
            Try::Refused(p) => {
                refused += 1;
                last = p;
            }
            Try::Unclear(p) => {
                last = p;
                if refused == 0 && tried >= 2 {
                    break;
                }
            }
        }
    }
    if tried == 0 {
        return;
    }
    if refused < tried {
        work.credential_notes.push(format!(
            "{location}: {} of {tried} login attempts got no clear answer ({last})",
            tried - refused
        ));
    }
    let mut record = access::attempt(
        location,
        method,
        false,
        tried,
        format!("{refused} of {tried} attempts refused; last answer: {last}"),
    );
    record.user = last_user.filter(|u| !u.is_empty());
    work.facts.access_attempts.push(record);
}

/// One unauthenticated request's result as an attempt record.
fn unauthenticated(work: &mut PortWork, location: Location, method: &str, result: Try) {
    let (accepted, proof) = match result {
        Try::Accepted(p) => (true, p),
        Try::Refused(p) => (false, p),
        Try::Unclear(p) => {
            work.credential_notes.push(format!(
                "{location}: no clear answer to an unauthenticated request ({p})"
            ));
            return;
        }
    };
    work.facts
        .access_attempts
        .push(access::attempt(location, method, accepted, 1, proof));
}

/// Everything done with one open TCP port.
async fn port_work(target: &Target, port: u16, credentials: Option<&[Credential]>) -> PortWork {
    let mut work = PortWork::default();
    let service: NetworkService = identify::identify(target, port).await;
    let name = service_name(&service.location).to_owned();
    let location = service.location.clone();
    let tls = service.tls;
    let banner = service.banner.clone();
    work.facts.network_services.push(service);
    let list = |svc: &str| -> Vec<&Credential> {
        credentials
            .map(|c| c.iter().filter(|c| c.applies_to(svc)).collect())
            .unwrap_or_default()
    };
    if tls {
        work.facts
            .tls_endpoints
            .push(tls::inspect(target, port, &name).await);
        match name.as_str() {
            "https" => match http::inspect(target, port, &name, true).await {
                Ok(endpoint) => {
                    web_logins(target, port, true, endpoint, credentials, &mut work).await;
                }
                Err(e) => work.credential_notes.push(format!(
                    "{location}: HTTP over TLS could not be read, so its logins were not tried ({e})"
                )),
            },
            "mqtts" => mqtt_logins(target, port, true, credentials, &mut work).await,
            other => {
                if credentials.is_some() {
                    work.credential_notes.push(format!(
                        "{location}: logins to {other} over TLS are not tried"
                    ));
                }
            }
        }
        return work;
    }
    match name.as_str() {
        "ssh" => {
            let mut endpoint = ssh::inspect(target, port).await;
            if credentials.is_some() {
                ssh_logins(target, port, list("ssh"), &mut work, endpoint.as_mut()).await;
            }
            if let Some(endpoint) = endpoint {
                work.facts.ssh_endpoints.push(endpoint);
            }
        }
        "telnet" => {
            try_list(
                target,
                location,
                "password",
                list("telnet"),
                &mut work,
                |c| access::telnet_login(target, port, &c.user, &c.secret),
            )
            .await;
        }
        "ftp" => {
            let result =
                access::ftp_login(target, port, "anonymous", "hallmark@example.invalid").await;
            unauthenticated(&mut work, location.clone(), "anonymous", result);
            try_list(target, location, "password", list("ftp"), &mut work, |c| {
                access::ftp_login(target, port, &c.user, &c.secret)
            })
            .await;
        }
        "http" | "upnp" => {
            if let Ok(endpoint) = http::inspect(target, port, &name, false).await {
                web_logins(target, port, false, endpoint, credentials, &mut work).await;
            }
        }
        "mqtt" => mqtt_logins(target, port, false, credentials, &mut work).await,
        "rtsp" => {
            let result = access::rtsp_describe(target, port).await;
            unauthenticated(&mut work, location, "none", result);
        }
        "pjl" => {
            let proof = format!(
                "{} answered without authentication",
                banner.unwrap_or_else(|| "@PJL INFO ID".into())
            );
            unauthenticated(&mut work, location, "none", Try::Accepted(proof));
        }
        _ => {}
    }
    work
}

/// A web server's page, and its Basic logins (over TLS when `tls`).
async fn web_logins(
    target: &Target,
    port: u16,
    tls: bool,
    endpoint: hallmark_model::facts::HttpEndpoint,
    credentials: Option<&[Credential]>,
    work: &mut PortWork,
) {
    let location = endpoint.location.clone();
    let basic = endpoint.authentication.as_deref() == Some("basic");
    let other = endpoint.authentication.clone().filter(|a| a != "basic");
    work.facts.http_endpoints.push(endpoint);
    let list: Vec<&Credential> = credentials
        .map(|c| c.iter().filter(|c| c.applies_to("http")).collect())
        .unwrap_or_default();
    if basic {
        try_list(target, location, "password", list, work, |c| {
            access::http_basic(target, port, tls, &c.user, &c.secret)
        })
        .await;
    } else if let Some(scheme) = other
        && credentials.is_some()
    {
        work.credential_notes.push(format!(
            "{location}: {scheme} logins are not tried yet (only HTTP Basic is)"
        ));
    }
}

/// An MQTT broker (over TLS when `tls`): without credentials, then the listed ones.
async fn mqtt_logins(
    target: &Target,
    port: u16,
    tls: bool,
    credentials: Option<&[Credential]>,
    work: &mut PortWork,
) {
    let location = target.tcp(port, Some(if tls { "mqtts" } else { "mqtt" }));
    let result = access::mqtt_login(target, port, tls, None).await;
    let anonymous = matches!(result, Try::Accepted(_));
    unauthenticated(work, location.clone(), "anonymous", result);
    if !anonymous {
        let list: Vec<&Credential> = credentials
            .map(|c| c.iter().filter(|c| c.applies_to("mqtt")).collect())
            .unwrap_or_default();
        try_list(target, location, "password", list, work, |c| {
            access::mqtt_login(target, port, tls, Some((&c.user, &c.secret)))
        })
        .await;
    }
}

/// SSH logins: the methods offered, the listed credentials (when passwords are taken), and
/// the wrong-password series.
async fn ssh_logins(
    target: &Target,
    port: u16,
    list: Vec<&Credential>,
    work: &mut PortWork,
    endpoint: Option<&mut hallmark_model::facts::SshEndpoint>,
) {
    let location = target.tcp(port, Some("ssh"));
    let user = list.first().map_or("root", |c| c.user.as_str()).to_owned();
    let methods = match ssh_auth::methods(target, port, &user).await {
        Ok(ssh_auth::Methods::Listed(methods)) => methods,
        Ok(ssh_auth::Methods::NoneAccepted(proof)) => {
            unauthenticated(work, location, "none", Try::Accepted(proof));
            return;
        }
        Err(e) => {
            work.credential_notes
                .push(format!("{location}: SSH logins could not be tried ({e})"));
            return;
        }
    };
    if let Some(endpoint) = endpoint {
        endpoint.auth_methods = methods.clone();
    }
    let Some(method) = ssh_auth::password_method(&methods) else {
        // No password is taken: nothing to guess.
        return;
    };
    try_list(target, location.clone(), "password", list, work, |c| {
        ssh_auth::login(target, port, method, &c.user, &c.secret)
    })
    .await;
    if target.limits.throttle_attempts == 0 {
        // Switched off: the throttling check says the series did not run.
        return;
    }
    tokio::time::sleep(target.limits.attempt_delay).await;
    match ssh_auth::wrong_password_series(
        target,
        port,
        method,
        target.limits.throttle_attempts,
        target.limits.attempt_delay,
    )
    .await
    {
        Ok(series) => {
            work.logins_tried += u64::from(series.throttle.attempts) + 1;
            if let Some(proof) = series.any_password {
                let mut record =
                    access::attempt(location, "password", true, series.throttle.attempts, proof);
                record.user = Some(ssh_auth::NO_SUCH_USER.to_owned());
                record.source = Some("a random password".into());
                work.facts.access_attempts.push(record);
            } else {
                work.facts.login_throttles.push(series.throttle);
            }
        }
        Err(e) => work.credential_notes.push(format!(
            "{location}: the wrong-password series could not be run ({e})"
        )),
    }
}

/// SNMP communities and SSDP (with the UPnP control it points to).
async fn udp(target: &Target, credentials: Option<&[Credential]>) -> PortWork {
    let mut work = PortWork::default();
    if let Some(list) = credentials {
        let communities: Vec<&Credential> = list.iter().filter(|c| c.applies_to("snmp")).collect();
        if !communities.is_empty() {
            let location = target.udp(161, Some("snmp"));
            let first = communities.first().map(|c| c.secret.clone());
            try_list(
                target,
                location.clone(),
                "community",
                communities,
                &mut work,
                |c| {
                    // Resend only the first community: after that, silence means refused.
                    let tries = if Some(&c.secret) == first.as_ref() {
                        2
                    } else {
                        1
                    };
                    access::snmp_community(target, &c.secret, tries)
                },
            )
            .await;
            // SNMP answers nothing to a wrong community: silence there is not a refusal
            // of the protocol, so only an accepted community shows the service.
            if let Some(ok) = work
                .facts
                .access_attempts
                .iter()
                .find(|a| a.accepted && a.location == location)
            {
                work.facts.network_services.push(NetworkService {
                    location: location.clone(),
                    identified_by: "handshake".into(),
                    banner: Some(ok.proof.clone()),
                    product: None,
                    tls: false,
                });
            }
            // Write access, with each listed community, once some community was answered
            // (an agent that answers none speaks no v1/v2c to these communities).
            if work
                .facts
                .access_attempts
                .iter()
                .any(|a| a.accepted && a.location == location)
            {
                let writers: Vec<&Credential> =
                    list.iter().filter(|c| c.applies_to("snmp")).collect();
                try_list(target, location.clone(), "write", writers, &mut work, |c| {
                    access::snmp_write(target, &c.secret)
                })
                .await;
            }
            // The notes of unclear SNMP answers are expected (silence); drop them.
            work.credential_notes
                .retain(|n| !n.starts_with(&location.to_string()));
        }
    }
    if let Some(data) = access::udp_exchange(target, 1900, &[access::M_SEARCH], 2).await
        && let Some(response) = http::parse(&data)
    {
        let server = response.header("server").map(str::to_owned);
        let location_url = response.header("location").map(str::to_owned);
        work.facts.network_services.push(NetworkService {
            location: target.udp(1900, Some("ssdp")),
            identified_by: "handshake".into(),
            banner: Some(format!(
                "{} {}; LOCATION: {}; SERVER: {}",
                response.protocol,
                response.status,
                location_url.as_deref().unwrap_or("-"),
                server.as_deref().unwrap_or("-")
            )),
            product: server,
            tls: false,
        });
        // Follow the description only when it is on the probed host itself.
        if let Some((host, port, path)) = location_url.as_deref().and_then(access::split_url)
            && host.parse::<IpAddr>().ok() == Some(target.ip)
        {
            let request = http::get(target, port, &path, None);
            if let Some(description) = http::exchange(target, port, &request).await
                && let Some((control, service_type)) =
                    access::wan_control(&String::from_utf8_lossy(&description.body))
            {
                let result = access::upnp_status(target, port, &control, &service_type).await;
                unauthenticated(&mut work, target.tcp(port, Some("upnp")), "none", result);
            }
        }
    }
    work
}
