//! A minimal HTTP/1.1 client for probing: one request per connection, bounded reads, and a
//! parser that accepts whatever a device sends without panicking.

use std::collections::BTreeMap;

use base64::Engine as _;
use hallmark_model::facts::HttpEndpoint;

use crate::net::Target;
use crate::wire::{read_until, send};

/// Most bytes read of one response.
const MAX_RESPONSE: usize = 64 * 1024;

/// A parsed response.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// `HTTP/1.1`, `RTSP/1.0`, ...
    pub(crate) protocol: String,
    pub(crate) status: u16,
    /// Lowercased names, first value kept.
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Parses a response head and what arrived of the body.
pub(crate) fn parse(data: &[u8]) -> Option<Response> {
    let head_end = data.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match head_end {
        Some(end) => (data.get(..end)?, data.get(end + 4..).unwrap_or_default()),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let protocol = parts.next()?.to_owned();
    if !(protocol.starts_with("HTTP/") || protocol.starts_with("RTSP/")) {
        return None;
    }
    let status = parts.next()?.trim().parse().ok()?;
    let mut headers = BTreeMap::new();
    for line in lines.take(100) {
        if let Some((name, value)) = line.split_once(':') {
            headers
                .entry(name.trim().to_ascii_lowercase())
                .or_insert_with(|| value.trim().chars().take(512).collect());
        }
    }
    Some(Response {
        protocol,
        status,
        headers,
        body: body.to_vec(),
    })
}

/// Whether a response is complete: head read and the body as long as Content-Length says
/// (or the head only, for a HEAD-like status without a length).
fn complete(data: &[u8]) -> bool {
    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let Some(response) = parse(data) else {
        return true;
    };
    match response
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        Some(len) => data.len() >= end + 4 + len,
        None => false,
    }
}

/// Sends `request` on a new connection (over TLS when `tls`) and reads the response; the error
/// says what went wrong.
pub(crate) async fn fetch(
    target: &Target,
    port: u16,
    tls: bool,
    request: &[u8],
) -> Result<Response, String> {
    let mut conn = target.open(port, tls).await?;
    if !send(&mut conn, request, target.limits.read_timeout).await {
        return Err("the connection closed before the request was sent".into());
    }
    let data = read_until(
        &mut conn,
        MAX_RESPONSE,
        target.limits.read_timeout,
        complete,
    )
    .await;
    parse(&data).ok_or_else(|| {
        if data.is_empty() {
            "no answer to an HTTP request".to_owned()
        } else {
            "the answer is not HTTP".to_owned()
        }
    })
}

/// Sends `request` on a new plain connection and reads the response.
pub(crate) async fn exchange(target: &Target, port: u16, request: &[u8]) -> Option<Response> {
    fetch(target, port, false, request).await.ok()
}

/// The Host header value for the target.
pub(crate) fn host_header(target: &Target, port: u16) -> String {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    if port == 80 || port == 443 {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// A GET request, with Basic credentials when given.
pub(crate) fn get(target: &Target, port: u16, path: &str, basic: Option<(&str, &str)>) -> Vec<u8> {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hallmark-probe\r\nAccept: */*\r\nConnection: close\r\n",
        host_header(target, port)
    );
    if let Some((user, password)) = basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// The page title of an HTML body.
fn title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower.get(start..)?.find("</title>")?;
    let t: String = text.get(start..end)?.trim().chars().take(120).collect();
    (!t.is_empty()).then_some(t)
}

/// The authentication a response asks for.
pub(crate) fn authentication(response: &Response) -> Option<String> {
    if let Some(challenge) = response.header("www-authenticate") {
        return challenge
            .split_whitespace()
            .next()
            .map(str::to_ascii_lowercase);
    }
    let body = String::from_utf8_lossy(&response.body).to_ascii_lowercase();
    (response.status == 200 && body.contains("type=\"password\"")).then(|| "form".to_owned())
}

/// GET `/` on a web server (over TLS when `tls`).
pub(crate) async fn inspect(
    target: &Target,
    port: u16,
    service: &str,
    tls: bool,
) -> Result<HttpEndpoint, String> {
    let response = fetch(target, port, tls, &get(target, port, "/", None)).await?;
    if !response.protocol.starts_with("HTTP/") {
        return Err("the answer is not HTTP".into());
    }
    Ok(HttpEndpoint {
        location: target.tcp(port, Some(service)),
        tls,
        path: "/".into(),
        status: response.status,
        authentication: authentication(&response),
        title: title(&response.body),
        headers: response.headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_headers_and_title() {
        let data = b"HTTP/1.1 401 Unauthorized\r\nServer: nginx/1.22.1\r\nWWW-Authenticate: Basic realm=\"IPCam\"\r\nContent-Length: 35\r\n\r\n<html><title> Admin </title></html>";
        let r = parse(data).unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.header("server"), Some("nginx/1.22.1"));
        assert_eq!(authentication(&r).as_deref(), Some("basic"));
        assert_eq!(title(&r.body).as_deref(), Some("Admin"));
        assert!(complete(data));
        assert!(!complete(&data[..40]));
    }

    #[test]
    fn garbage_is_no_response() {
        assert!(parse(b"\xff\xfb\x01login:").is_none());
        assert!(parse(b"HTTP/1.1 abc\r\n\r\n").is_none());
        assert!(parse(b"").is_none());
        let rtsp = parse(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n").unwrap();
        assert_eq!(rtsp.protocol, "RTSP/1.0");
    }
}
