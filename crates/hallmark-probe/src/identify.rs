//! Service identification from what a port says first (a banner) or answers (a protocol's
//! opening message), not only from its number.

use hallmark_model::facts::NetworkService;

use crate::access::{self, connack, mqtt_connect};
use crate::http;
use crate::net::Target;
use crate::tls;
use crate::wire::{first_line, printable, read_until, send};

/// Raw printer ports: nothing but a PJL status query is ever sent there (anything else may be
/// printed).
pub(crate) fn printer_port(port: u16) -> bool {
    (9100..=9107).contains(&port)
}

/// The service a port number usually carries, for ports that identified themselves no other
/// way.
fn guess(port: u16) -> Option<&'static str> {
    Some(match port {
        21 => "ftp",
        22 => "ssh",
        23 | 2323 => "telnet",
        25 | 587 => "smtp",
        53 => "dns",
        80 | 8080 | 8000 | 8008 | 8081 | 8888 => "http",
        443 | 8443 | 4443 | 9443 => "https",
        502 => "modbus",
        515 => "lpd",
        554 | 8554 => "rtsp",
        631 => "ipp",
        1883 => "mqtt",
        8883 => "mqtts",
        5000 => "upnp",
        47808 => "bacnet",
        _ => return None,
    })
}

/// Classifies a banner a server sent unprompted: (service, product).
pub(crate) fn classify_banner(port: u16, data: &[u8]) -> (Option<String>, Option<String>) {
    let line = first_line(data, 200);
    let lower = line.to_ascii_lowercase();
    if data.first() == Some(&255) {
        return (Some("telnet".into()), None);
    }
    if let Some(rest) = line.strip_prefix("SSH-") {
        let product = rest.split_once('-').map(|(_, p)| p.to_owned());
        return (Some("ssh".into()), product);
    }
    if line.starts_with("220") {
        let service = if lower.contains("smtp") || matches!(port, 25 | 587) {
            "smtp"
        } else {
            "ftp"
        };
        return (Some(service.into()), None);
    }
    if line.starts_with("+OK") {
        return (Some("pop3".into()), None);
    }
    if line.starts_with("* OK") {
        return (Some("imap".into()), None);
    }
    let all = String::from_utf8_lossy(data).to_ascii_lowercase();
    if all.contains("login:") || all.contains("username:") {
        return (Some("telnet".into()), None);
    }
    (None, None)
}

/// TLS service names by port.
fn tls_service(port: u16) -> &'static str {
    match port {
        8883 => "mqtts",
        993 => "imaps",
        995 => "pop3s",
        5061 => "sips",
        636 => "ldaps",
        _ => "https",
    }
}

/// What the open TCP `port` is.
pub(crate) async fn identify(target: &Target, port: u16) -> NetworkService {
    let mut service = NetworkService {
        location: target.tcp(port, None),
        identified_by: "port".into(),
        banner: None,
        product: None,
        tls: false,
    };
    let set = |s: &mut NetworkService, name: &str, by: &str| {
        s.location = target.tcp(port, Some(name));
        s.identified_by = by.into();
    };
    if printer_port(port) {
        match access::pjl_info(target, port).await {
            Some(id) => {
                set(&mut service, "pjl", "handshake");
                service.banner = Some(format!("@PJL INFO ID: {id}"));
                service.product = (!id.is_empty()).then(|| id.trim_matches('"').to_owned());
            }
            None => set(&mut service, "printer-raw", "port"),
        }
        return service;
    }
    // What the server says first.
    if let Ok(mut stream) = target.connect(port).await {
        let data = read_until(&mut stream, 2048, target.limits.banner_wait, |d| {
            d.contains(&b'\n') || d.first() == Some(&255)
        })
        .await;
        if !data.is_empty() {
            service.banner = Some(printable(&data, 160));
            let (name, product) = classify_banner(port, &data);
            if let Some(name) = name {
                set(&mut service, &name, "banner");
                service.product = product;
                return service;
            }
        }
    }
    // Opening messages, the likeliest first.
    let order: &[&str] = match port {
        554 | 8554 => &["rtsp", "http", "tls", "mqtt"],
        1883 => &["mqtt", "tls", "http", "rtsp"],
        443 | 8443 | 4443 | 9443 | 8883 | 993 | 995 | 636 | 5061 => {
            &["tls", "http", "mqtt", "rtsp"]
        }
        _ => &["http", "tls", "rtsp", "mqtt"],
    };
    for probe in order {
        match *probe {
            "tls" => {
                if tls::speaks_tls(target, port).await {
                    set(&mut service, tls_service(port), "handshake");
                    service.tls = true;
                    return service;
                }
            }
            "http" => {
                let request = http::get(target, port, "/", None);
                if let Some(r) = http::exchange(target, port, &request).await {
                    let name = if r.protocol.starts_with("RTSP/") {
                        "rtsp"
                    } else if port == 5000
                        && r.header("server")
                            .is_some_and(|s| s.to_ascii_lowercase().contains("upnp"))
                    {
                        "upnp"
                    } else {
                        "http"
                    };
                    set(&mut service, name, "handshake");
                    service.banner = Some(format!("{} {}", r.protocol, r.status));
                    service.product = r.header("server").map(str::to_owned);
                    return service;
                }
            }
            "rtsp" => {
                let request =
                    b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: hallmark-probe\r\n\r\n";
                if let Some(r) = http::exchange(target, port, request).await
                    && r.protocol.starts_with("RTSP/")
                {
                    set(&mut service, "rtsp", "handshake");
                    service.banner = Some(format!("{} {}", r.protocol, r.status));
                    service.product = r.header("server").map(str::to_owned);
                    return service;
                }
            }
            _ => {
                if let Ok(mut stream) = target.connect(port).await
                    && send(&mut stream, &mqtt_connect(None), target.limits.read_timeout).await
                {
                    let data = read_until(&mut stream, 16, target.limits.read_timeout, |d| {
                        d.len() >= 4
                    })
                    .await;
                    if connack(&data).is_some() {
                        let _ = send(&mut stream, &[0xE0, 0x00], target.limits.read_timeout).await;
                        set(&mut service, "mqtt", "handshake");
                        service.banner = Some(printable(&data, 16));
                        return service;
                    }
                }
            }
        }
    }
    if let Some(name) = guess(port) {
        service.location = target.tcp(port, Some(name));
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        assert_eq!(
            classify_banner(22, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
            (Some("ssh".into()), Some("OpenSSH_9.2p1 Debian-2".into()))
        );
        assert_eq!(
            classify_banner(21, b"220 LabWeak FTP ready.\r\n")
                .0
                .as_deref(),
            Some("ftp")
        );
        assert_eq!(
            classify_banner(25, b"220 mail ESMTP\r\n").0.as_deref(),
            Some("smtp")
        );
        assert_eq!(
            classify_banner(23, &[255, 253, 24]).0.as_deref(),
            Some("telnet")
        );
        assert_eq!(classify_banner(1, b"\x00\x01garbage").0, None);
        assert!(printer_port(9100) && !printer_port(9108));
    }
}
