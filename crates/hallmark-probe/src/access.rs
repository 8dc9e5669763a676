//! Access attempts: logins with listed credentials (telnet, FTP, HTTP Basic, MQTT, SNMP
//! communities) and requests that should need authentication (anonymous FTP and MQTT, RTSP
//! DESCRIBE, PJL status, UPnP control). Each is read-only: nothing is written, printed, set or
//! published.

use std::time::Duration;

use hallmark_model::facts::AccessAttempt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use crate::http;
use crate::net::Target;
use crate::wire::{Reader, first_line, printable, read_until, send};

/// The result of one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Try {
    /// Access granted; what showed it.
    Accepted(String),
    /// Access refused; what showed it.
    Refused(String),
    /// No clear answer (timeout, connection failed, unexpected reply).
    Unclear(String),
}

/// An attempt record without a credential (set `user`, `secret` and `source` after).
pub(crate) fn attempt(
    location: hallmark_model::Location,
    method: &str,
    accepted: bool,
    attempts: u32,
    proof: String,
) -> AccessAttempt {
    AccessAttempt {
        location,
        method: method.to_owned(),
        user: None,
        secret: None,
        source: None,
        accepted,
        attempts,
        proof,
    }
}

// ---------------------------------------------------------------- telnet

const IAC: u8 = 255;

/// Answers the server's option negotiation like a minimal client (accept ECHO and
/// SUPPRESS-GO-AHEAD from the server, refuse everything else) and returns the text without
/// the negotiation.
fn negotiate(data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut text = Vec::new();
    let mut reply = Vec::new();
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        if b != IAC {
            if b != 0 {
                text.push(b);
            }
            i += 1;
            continue;
        }
        match (data.get(i + 1).copied(), data.get(i + 2).copied()) {
            (Some(251), Some(opt)) => {
                // WILL: accept echo and suppress-go-ahead, refuse the rest.
                reply.extend_from_slice(&[IAC, if matches!(opt, 1 | 3) { 253 } else { 254 }, opt]);
                i += 3;
            }
            (Some(253), Some(opt)) => {
                // DO: we will do nothing.
                reply.extend_from_slice(&[IAC, 252, opt]);
                i += 3;
            }
            (Some(252 | 254), Some(_)) => i += 3,
            (Some(250), _) => {
                // Subnegotiation: skip to IAC SE.
                let end = data
                    .get(i..)
                    .and_then(|d| d.windows(2).position(|w| w == [IAC, 240]))
                    .map_or(data.len(), |p| i + p + 2);
                i = end;
            }
            (Some(IAC), _) => {
                text.push(IAC);
                i += 2;
            }
            _ => i += 2,
        }
    }
    (text, reply)
}

fn lower(text: &[u8]) -> String {
    String::from_utf8_lossy(text).to_ascii_lowercase()
}

fn asks_user(text: &[u8]) -> bool {
    let t = lower(text);
    let t = t.trim_end();
    t.ends_with("login:")
        || t.ends_with("username:")
        || t.ends_with("user:")
        || t.ends_with("user name:")
}

fn asks_password(text: &[u8]) -> bool {
    lower(text).trim_end().ends_with("password:")
}

fn shell_prompt(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end();
    !asks_user(text)
        && (t.ends_with('#') || t.ends_with('$') || t.ends_with('>') || t.ends_with('%'))
}

fn refused(text: &[u8]) -> bool {
    let t = lower(text);
    [
        "incorrect",
        "failed",
        "denied",
        "invalid",
        "bad password",
        "wrong",
    ]
    .iter()
    .any(|w| t.contains(w))
        || asks_user(text)
}

/// Reads telnet text, answering negotiation, until `done` holds for the text after `since`.
async fn telnet_read(
    stream: &mut TcpStream,
    text: &mut Vec<u8>,
    since: usize,
    wait: Duration,
    done: impl Fn(&[u8]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + wait;
    while text.len() < 16 * 1024 {
        let chunk = read_until(
            stream,
            4096,
            deadline.saturating_duration_since(tokio::time::Instant::now()),
            |d| !d.is_empty(),
        )
        .await;
        if chunk.is_empty() {
            break;
        }
        let (plain, reply) = negotiate(&chunk);
        if !reply.is_empty() && !send(stream, &reply, wait).await {
            break;
        }
        text.extend_from_slice(&plain);
        if done(text.get(since..).unwrap_or_default()) {
            break;
        }
    }
}

/// One telnet login.
pub(crate) async fn telnet_login(target: &Target, port: u16, user: &str, password: &str) -> Try {
    let Ok(mut stream) = target.connect(port).await else {
        return Try::Unclear("connection failed".into());
    };
    let wait = target.limits.login_wait;
    let mut text = Vec::new();
    telnet_read(&mut stream, &mut text, 0, wait, asks_user).await;
    if !asks_user(&text) {
        return Try::Unclear(format!(
            "no login prompt (got {:?})",
            printable(
                text.get(text.len().saturating_sub(60)..)
                    .unwrap_or_default(),
                60
            )
        ));
    }
    if !send(&mut stream, format!("{user}\r\n").as_bytes(), wait).await {
        return Try::Unclear("connection closed".into());
    }
    let at = text.len();
    telnet_read(&mut stream, &mut text, at, wait, |t| {
        asks_password(t) || shell_prompt(t)
    })
    .await;
    let after_user = text.get(at..).unwrap_or_default().to_vec();
    if shell_prompt(&after_user) && !asks_password(&after_user) {
        return Try::Accepted(format!(
            "shell prompt {:?} after user name {user} without a password",
            tail(&after_user)
        ));
    }
    if !asks_password(&after_user) {
        return Try::Unclear("no password prompt".into());
    }
    if !send(&mut stream, format!("{password}\r\n").as_bytes(), wait).await {
        return Try::Unclear("connection closed".into());
    }
    let at = text.len();
    telnet_read(&mut stream, &mut text, at, wait, |t| {
        shell_prompt(t) || refused(t)
    })
    .await;
    let after = text.get(at..).unwrap_or_default();
    if shell_prompt(after) {
        let _ = send(&mut stream, b"exit\r\n", wait).await;
        Try::Accepted(format!("shell prompt {:?} after login", tail(after)))
    } else if refused(after) {
        Try::Refused(format!("{:?}", tail(after)))
    } else {
        Try::Unclear(format!(
            "no prompt after the password (got {:?})",
            tail(after)
        ))
    }
}

fn tail(text: &[u8]) -> String {
    let t = String::from_utf8_lossy(text);
    let last = t
        .trim_end_matches(['\r', '\n'])
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .to_owned();
    printable(last.trim_start_matches('\r').as_bytes(), 60)
}

// ---------------------------------------------------------------- FTP

fn ftp_reply_done(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).split("\r\n").any(|l| {
        let b = l.as_bytes();
        b.len() >= 4 && b.iter().take(3).all(u8::is_ascii_digit) && b.get(3) == Some(&b' ')
    }) || String::from_utf8_lossy(data).lines().any(|l| {
        let b = l.as_bytes();
        b.len() == 3 && b.iter().all(u8::is_ascii_digit)
    })
}

fn ftp_code(data: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(data);
    text.split("\r\n")
        .filter(|l| l.as_bytes().get(3).is_none_or(|&c| c == b' '))
        .find_map(|l| {
            let code = l.get(..3)?.parse().ok()?;
            Some((code, printable(l.as_bytes(), 80)))
        })
}

async fn ftp_command(stream: &mut TcpStream, target: &Target, line: &str) -> Option<(u16, String)> {
    if !send(stream, line.as_bytes(), target.limits.read_timeout).await {
        return None;
    }
    let data = read_until(stream, 8192, target.limits.login_wait, ftp_reply_done).await;
    ftp_code(&data)
}

/// One FTP login (`anonymous` for an anonymous login).
pub(crate) async fn ftp_login(target: &Target, port: u16, user: &str, password: &str) -> Try {
    let Ok(mut stream) = target.connect(port).await else {
        return Try::Unclear("connection failed".into());
    };
    let greeting = read_until(
        &mut stream,
        8192,
        target.limits.read_timeout,
        ftp_reply_done,
    )
    .await;
    if ftp_code(&greeting).is_none_or(|(c, _)| c != 220) {
        return Try::Unclear(format!(
            "no 220 greeting (got {:?})",
            first_line(&greeting, 60)
        ));
    }
    let Some((code, text)) = ftp_command(&mut stream, target, &format!("USER {user}\r\n")).await
    else {
        return Try::Unclear("no reply to USER".into());
    };
    let result = match code {
        230 => Try::Accepted(format!("{text} (no password asked)")),
        331 | 332 => {
            match ftp_command(&mut stream, target, &format!("PASS {password}\r\n")).await {
                Some((230, text)) => Try::Accepted(text),
                Some((_, text)) => Try::Refused(text),
                None => Try::Unclear("no reply to PASS".into()),
            }
        }
        _ => Try::Refused(text),
    };
    let _ = send(&mut stream, b"QUIT\r\n", target.limits.read_timeout).await;
    result
}

// ---------------------------------------------------------------- HTTP Basic

/// One HTTP Basic login on `/`.
pub(crate) async fn http_basic(
    target: &Target,
    port: u16,
    tls: bool,
    user: &str,
    password: &str,
) -> Try {
    let request = http::get(target, port, "/", Some((user, password)));
    let scheme = if tls { "HTTPS" } else { "HTTP" };
    match http::fetch(target, port, tls, &request).await {
        Ok(r) if (200..400).contains(&r.status) => Try::Accepted(format!(
            "{scheme} {} with Basic {user}:{password}",
            r.status
        )),
        Ok(r) if r.status == 401 || r.status == 403 => {
            Try::Refused(format!("{scheme} {}", r.status))
        }
        Ok(r) => Try::Unclear(format!("{scheme} {}", r.status)),
        Err(e) => Try::Unclear(e),
    }
}

// ---------------------------------------------------------------- MQTT

/// An MQTT 3.1.1 CONNECT, with credentials when given.
pub(crate) fn mqtt_connect(credentials: Option<(&str, &str)>) -> Vec<u8> {
    let mut variable = vec![0, 4, b'M', b'Q', b'T', b'T', 4];
    let mut flags = 0x02;
    if credentials.is_some() {
        flags |= 0xC0;
    }
    variable.push(flags);
    variable.extend_from_slice(&[0, 10]);
    let mut payload = Vec::new();
    let mut string = |s: &str| {
        payload.extend_from_slice(&u16::try_from(s.len()).unwrap_or(0).to_be_bytes());
        payload.extend_from_slice(s.as_bytes());
    };
    string("hallmark-probe");
    if let Some((user, password)) = credentials {
        string(user);
        string(password);
    }
    let len = variable.len() + payload.len();
    let mut packet = vec![0x10, u8::try_from(len).unwrap_or(127).min(127)];
    packet.extend_from_slice(&variable);
    packet.extend_from_slice(&payload);
    packet
}

/// The return code of a CONNACK.
pub(crate) fn connack(data: &[u8]) -> Option<u8> {
    match data {
        [0x20, 0x02, _, code, ..] => Some(*code),
        _ => None,
    }
}

/// One MQTT CONNECT (anonymous when `credentials` is `None`).
pub(crate) async fn mqtt_login(
    target: &Target,
    port: u16,
    tls: bool,
    credentials: Option<(&str, &str)>,
) -> Try {
    let mut stream = match target.open(port, tls).await {
        Ok(s) => s,
        Err(e) => return Try::Unclear(e),
    };
    if !send(
        &mut stream,
        &mqtt_connect(credentials),
        target.limits.read_timeout,
    )
    .await
    {
        return Try::Unclear("connection closed".into());
    }
    let data = read_until(&mut stream, 16, target.limits.read_timeout, |d| {
        d.len() >= 4
    })
    .await;
    let result = match connack(&data) {
        Some(0) => Try::Accepted("CONNACK return code 0 (connection accepted)".into()),
        Some(code) => Try::Refused(format!("CONNACK return code {code}")),
        None => Try::Unclear(format!("no CONNACK (got {:?})", printable(&data, 20))),
    };
    // DISCONNECT.
    let _ = send(&mut stream, &[0xE0, 0x00], target.limits.read_timeout).await;
    result
}

// ---------------------------------------------------------------- RTSP, PJL

/// DESCRIBE without credentials.
pub(crate) async fn rtsp_describe(target: &Target, port: u16) -> Try {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let request = format!(
        "DESCRIBE rtsp://{host}:{port}/ RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\nUser-Agent: hallmark-probe\r\n\r\n"
    );
    match http::exchange(target, port, request.as_bytes()).await {
        Some(r) if r.protocol.starts_with("RTSP/") && r.status == 200 => {
            let sdp = String::from_utf8_lossy(&r.body);
            let media: Vec<&str> = sdp
                .lines()
                .filter(|l| l.starts_with("m="))
                .take(3)
                .collect();
            Try::Accepted(format!(
                "RTSP/1.0 200 to DESCRIBE without credentials{}",
                if media.is_empty() {
                    String::new()
                } else {
                    format!("; SDP {}", media.join(", "))
                }
            ))
        }
        Some(r) if r.status == 401 || r.status == 403 => Try::Refused(format!("RTSP {}", r.status)),
        Some(r) => Try::Unclear(format!("{} {}", r.protocol, r.status)),
        None => Try::Unclear("no RTSP response".into()),
    }
}

/// The PJL status query printers answer (never a print job).
pub(crate) const PJL_INFO_ID: &[u8] = b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n";

/// `@PJL INFO ID` without credentials: the printer's answer, if any.
pub(crate) async fn pjl_info(target: &Target, port: u16) -> Option<String> {
    let mut stream = target.connect(port).await.ok()?;
    if !send(&mut stream, PJL_INFO_ID, target.limits.read_timeout).await {
        return None;
    }
    let data = read_until(&mut stream, 4096, target.limits.read_timeout, |d| {
        d.contains(&0x0c)
    })
    .await;
    let text = String::from_utf8_lossy(&data);
    text.contains("@PJL").then(|| {
        let id = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("@PJL"))
            .unwrap_or("");
        printable(id.as_bytes(), 80)
    })
}

// ---------------------------------------------------------------- SNMP

fn ber(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n @ 0..=127 => out.push(u8::try_from(n).unwrap_or(0)),
        n @ 128..=255 => out.extend_from_slice(&[0x81, u8::try_from(n).unwrap_or(0)]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
        }
    }
    out.extend_from_slice(content);
    out
}

/// sysDescr.0 (1.3.6.1.2.1.1.1.0), BER-encoded.
const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

/// sysContact.0, sysName.0 and sysLocation.0 (1.3.6.1.2.1.1.{4,5,6}.0): the objects an SNMP
/// write test sets to their own value.
const SYS_WRITABLE: [(&str, &[u8]); 3] = [
    ("sysContact.0", &[0x2b, 6, 1, 2, 1, 1, 4, 0]),
    ("sysName.0", &[0x2b, 6, 1, 2, 1, 1, 5, 0]),
    ("sysLocation.0", &[0x2b, 6, 1, 2, 1, 1, 6, 0]),
];

/// An SNMP message (`version` 0 = v1, 1 = v2c) with one PDU of type `pdu` (0xA0 GetRequest,
/// 0xA3 SetRequest) for `oid`, whose value is `value` (tag and content) or NULL.
fn snmp_request(
    version: u8,
    community: &str,
    pdu: u8,
    request_id: u8,
    oid: &[u8],
    value: Option<(u8, &[u8])>,
) -> Vec<u8> {
    let value = match value {
        Some((tag, content)) => ber(tag, content),
        None => vec![0x05, 0x00],
    };
    let varbind = ber(0x30, &[ber(0x06, oid), value].concat());
    let pdu = ber(
        pdu,
        &[
            ber(0x02, &[request_id]),
            ber(0x02, &[0]),
            ber(0x02, &[0]),
            ber(0x30, &varbind),
        ]
        .concat(),
    );
    ber(
        0x30,
        &[ber(0x02, &[version]), ber(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// An SNMP GetRequest for sysDescr.0 (`version` 0 = v1, 1 = v2c).
pub(crate) fn snmp_get(version: u8, community: &str, request_id: u8) -> Vec<u8> {
    snmp_request(version, community, 0xA0, request_id, SYS_DESCR, None)
}

fn ber_read<'a>(r: &mut Reader<'a>) -> Option<(u8, &'a [u8])> {
    let tag = r.u8()?;
    let first = r.u8()?;
    let len = match first {
        0..=127 => usize::from(first),
        0x81 => usize::from(r.u8()?),
        0x82 => usize::from(r.u16()?),
        _ => return None,
    };
    Some((tag, r.bytes(len)?))
}

/// The parts of a GetResponse that the probes read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnmpAnswer {
    /// 0 = v1, 1 = v2c.
    pub(crate) version: u8,
    /// The error status (0 = noError).
    pub(crate) status: u8,
    /// The first value's tag and content.
    pub(crate) tag: u8,
    pub(crate) value: Vec<u8>,
}

/// Reads a GetResponse (the answer to a Get or a Set).
pub(crate) fn snmp_answer(data: &[u8]) -> Option<SnmpAnswer> {
    let mut outer = Reader::new(data);
    let (0x30, message) = ber_read(&mut outer)? else {
        return None;
    };
    let mut m = Reader::new(message);
    let (_, version) = ber_read(&mut m)?;
    let version = version.last().copied().unwrap_or(0);
    ber_read(&mut m)?;
    let (0xA2, pdu) = ber_read(&mut m)? else {
        return None;
    };
    let mut p = Reader::new(pdu);
    ber_read(&mut p)?;
    let (_, status) = ber_read(&mut p)?;
    ber_read(&mut p)?;
    let (_, varbinds) = ber_read(&mut p)?;
    let (_, first) = ber_read(&mut Reader::new(varbinds))?;
    let mut v = Reader::new(first);
    ber_read(&mut v)?;
    let (tag, value) = ber_read(&mut v)?;
    Some(SnmpAnswer {
        version,
        status: status.last().copied().unwrap_or(0),
        tag,
        value: value.to_vec(),
    })
}

/// (version, error status, first value as text) of a GetResponse.
pub(crate) fn snmp_response(data: &[u8]) -> Option<(u8, u8, String)> {
    let a = snmp_answer(data)?;
    Some((a.version, a.status, printable(&a.value, 120)))
}

/// Sends the datagrams in `requests` to the target and waits for the first answer, sending
/// them again up to `tries` times.
pub(crate) async fn udp_exchange(
    target: &Target,
    port: u16,
    requests: &[&[u8]],
    tries: u32,
) -> Option<Vec<u8>> {
    target.probe_rate.wait().await;
    let bind = if target.ip.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).await.ok()?;
    socket.connect((target.ip, port)).await.ok()?;
    let mut buf = vec![0u8; 8192];
    for _ in 0..tries.max(1) {
        for request in requests {
            socket.send(request).await.ok()?;
        }
        if let Ok(Ok(n)) = timeout(target.limits.read_timeout, socket.recv(&mut buf)).await {
            buf.truncate(n);
            return Some(buf);
        }
    }
    None
}

/// One SNMP community, asked over v2c and v1 at once. An agent ignores a wrong community, so
/// silence is a refusal (or no agent); `tries` above one resends for lost datagrams.
pub(crate) async fn snmp_community(target: &Target, community: &str, tries: u32) -> Try {
    let v2c = snmp_get(1, community, 7);
    let v1 = snmp_get(0, community, 8);
    let Some(data) = udp_exchange(target, 161, &[&v2c, &v1], tries).await else {
        return Try::Refused("no answer to v1 or v2c".into());
    };
    let name = |v: u8| if v == 1 { "v2c" } else { "v1" };
    match snmp_response(&data) {
        Some((version, 0, value)) => Try::Accepted(format!(
            "SNMP {} GetResponse to community {community:?}: sysDescr.0 = {value:?}",
            name(version)
        )),
        Some((version, status, _)) => {
            Try::Refused(format!("SNMP {} error status {status}", name(version)))
        }
        None => Try::Unclear(format!("not an SNMP response: {:?}", printable(&data, 40))),
    }
}

/// The name of an SNMP error status.
fn snmp_status(status: u8) -> String {
    let name = match status {
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        16 => "authorizationError",
        17 => "notWritable",
        _ => return format!("error status {status}"),
    };
    format!("{name} ({status})")
}

/// Whether `community` can write (SNMP v2c): an object of the system group is read, then set
/// to the value just read, so nothing changes on the device. sysContact.0 first, then sysName.0
/// and sysLocation.0 when an agent configures the first as read-only.
pub(crate) async fn snmp_write(target: &Target, community: &str) -> Try {
    let mut last = String::from("no writable object of the system group answered");
    for (n, (name, oid)) in (0u8..).zip(SYS_WRITABLE) {
        let get = snmp_request(1, community, 0xA0, 20 + n, oid, None);
        let Some(data) = udp_exchange(target, 161, &[&get], 2).await else {
            return Try::Refused(format!("no answer to a v2c GET of {name}"));
        };
        let Some(read) = snmp_answer(&data).filter(|a| a.status == 0 && a.tag == 0x04) else {
            last = format!("{name} is not a readable string with this community");
            continue;
        };
        let set = snmp_request(1, community, 0xA3, 40 + n, oid, Some((0x04, &read.value)));
        let Some(data) = udp_exchange(target, 161, &[&set], 2).await else {
            return Try::Refused(format!("no answer to a v2c SET of {name}"));
        };
        match snmp_answer(&data) {
            Some(a) if a.status == 0 => {
                return Try::Accepted(format!(
                    "SNMP v2c SET of {name} to its current value {:?} answered noError: community {community:?} can change the device's configuration",
                    printable(&read.value, 60)
                ));
            }
            // The community may not write at all: no other object will do better.
            Some(a) if matches!(a.status, 4 | 6 | 16) => {
                return Try::Refused(format!("SET of {name}: {}", snmp_status(a.status)));
            }
            Some(a) => last = format!("SET of {name}: {}", snmp_status(a.status)),
            None => {
                return Try::Unclear(format!(
                    "not an SNMP response to a SET: {:?}",
                    printable(&data, 40)
                ));
            }
        }
    }
    Try::Refused(last)
}

// ---------------------------------------------------------------- SSDP and UPnP

/// A unicast M-SEARCH for root devices.
pub(crate) const M_SEARCH: &[u8] = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: upnp:rootdevice\r\n\r\n";

/// (host, port, path) of an `http://` URL.
pub(crate) fn split_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, p.parse().ok()?),
        _ => (authority, 80),
    };
    Some((
        host.trim_matches(['[', ']']).to_owned(),
        port,
        path.to_owned(),
    ))
}

/// The control URL and service type of a WAN connection service in a device description.
pub(crate) fn wan_control(description: &str) -> Option<(String, String)> {
    for kind in ["WANIPConnection", "WANPPPConnection"] {
        let marker = format!("urn:schemas-upnp-org:service:{kind}:");
        let Some(at) = description.find(&marker) else {
            continue;
        };
        let rest = description.get(at..)?;
        let service_type: String = rest
            .chars()
            .take_while(|c| !matches!(c, '<' | '"' | ' '))
            .collect();
        let start = rest.find("<controlURL>")? + "<controlURL>".len();
        let end = start + rest.get(start..)?.find("</controlURL>")?;
        return Some((rest.get(start..end)?.trim().to_owned(), service_type));
    }
    None
}

/// A read-only SOAP action (GetStatusInfo) on the WAN connection service.
pub(crate) async fn upnp_status(
    target: &Target,
    port: u16,
    control: &str,
    service_type: &str,
) -> Try {
    let body = format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:GetStatusInfo xmlns:u=\"{service_type}\"></u:GetStatusInfo></s:Body></s:Envelope>"
    );
    let request = format!(
        "POST {control} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"{service_type}#GetStatusInfo\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        http::host_header(target, port),
        body.len()
    );
    match http::exchange(target, port, request.as_bytes()).await {
        Some(r) if r.status == 200 => {
            let text = String::from_utf8_lossy(&r.body);
            let status = text
                .find("<NewConnectionStatus>")
                .and_then(|i| {
                    let s = i + "<NewConnectionStatus>".len();
                    let e = s + text.get(s..)?.find('<')?;
                    text.get(s..e)
                })
                .unwrap_or("?")
                .to_owned();
            Try::Accepted(format!(
                "SOAP GetStatusInfo answered 200 without authentication (NewConnectionStatus {status})"
            ))
        }
        Some(r) => Try::Refused(format!("HTTP {}", r.status)),
        None => Try::Unclear("no HTTP response".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnet_negotiation_is_answered_and_stripped() {
        let (text, reply) = negotiate(&[
            IAC, 253, 24, IAC, 251, 1, b'l', b'o', IAC, 250, 24, 1, IAC, 240, b'g',
        ]);
        assert_eq!(text, b"log");
        assert_eq!(reply, [IAC, 252, 24, IAC, 253, 1]);
        let _ = negotiate(&[IAC]);
        let _ = negotiate(&[IAC, 250, 1, 2]);
        assert!(asks_user(b"\r\nLabWeak\r\nlab-weak login: "));
        assert!(asks_password(b"Password: "));
        assert!(shell_prompt(b"\r\nBusyBox v1.19.4\r\n# "));
        assert!(!shell_prompt(b"lab-weak login: "));
        assert!(refused(b"\r\nLogin incorrect\r\nlab-weak login: "));
    }

    #[test]
    fn ftp_replies() {
        assert!(ftp_reply_done(b"220-hello\r\n220 ready\r\n"));
        assert!(!ftp_reply_done(b"220-hello\r\n"));
        assert_eq!(ftp_code(b"230 Login successful.\r\n").unwrap().0, 230);
        assert_eq!(ftp_code(b"garbage"), None);
    }

    #[test]
    fn mqtt_packets() {
        let p = mqtt_connect(None);
        assert_eq!(p[0], 0x10);
        assert_eq!(usize::from(p[1]), p.len() - 2);
        assert_eq!(connack(&[0x20, 2, 0, 0]), Some(0));
        assert_eq!(connack(&[0x20, 2, 0, 5]), Some(5));
        assert_eq!(connack(b"HTTP"), None);
    }

    #[test]
    fn snmp_round_trip() {
        let req = snmp_get(1, "public", 7);
        assert_eq!(req[0], 0x30);
        // A response is the request with the PDU tag changed and a value in place of NULL.
        let varbind = ber(
            0x30,
            &[ber(0x06, SYS_DESCR), ber(0x04, b"LabWeak IPCam")].concat(),
        );
        let pdu = ber(
            0xA2,
            &[
                ber(0x02, &[7]),
                ber(0x02, &[0]),
                ber(0x02, &[0]),
                ber(0x30, &varbind),
            ]
            .concat(),
        );
        let msg = ber(0x30, &[ber(0x02, &[1]), ber(0x04, b"public"), pdu].concat());
        assert_eq!(
            snmp_response(&msg),
            Some((1, 0, "LabWeak IPCam".to_owned()))
        );
        for n in 0..msg.len() {
            let _ = snmp_response(&msg[..n]);
        }
        assert!(snmp_response(b"\x30\x82\xff\xff").is_none());
    }

    #[test]
    fn snmp_set_carries_the_value_read() {
        let (_, oid) = SYS_WRITABLE[0];
        let mut set = snmp_request(1, "private", 0xA3, 40, oid, Some((0x04, b"ops@example")));
        // The agent's answer to a SET echoes the varbind in a GetResponse.
        let at = set.iter().position(|&b| b == 0xA3).unwrap();
        set[at] = 0xA2;
        let answer = snmp_answer(&set).unwrap();
        assert_eq!(
            (
                answer.version,
                answer.status,
                answer.tag,
                answer.value.as_slice()
            ),
            (1, 0, 0x04, b"ops@example".as_slice())
        );
        assert_eq!(snmp_status(17), "notWritable (17)");
        assert_eq!(snmp_status(99), "error status 99");
    }

    #[test]
    fn upnp_description_and_urls() {
        let d = "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl/IPConn</controlURL></service>";
        assert_eq!(
            wan_control(d),
            Some((
                "/ctl/IPConn".to_owned(),
                "urn:schemas-upnp-org:service:WANIPConnection:1".to_owned()
            ))
        );
        assert_eq!(
            split_url("http://10.77.0.10:5000/rootDesc.xml"),
            Some(("10.77.0.10".to_owned(), 5000, "/rootDesc.xml".to_owned()))
        );
        assert_eq!(
            split_url("http://h"),
            Some(("h".to_owned(), 80, "/".to_owned()))
        );
        assert_eq!(split_url("ftp://h"), None);
    }
}
