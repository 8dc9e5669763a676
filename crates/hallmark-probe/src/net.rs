//! Connections under limits: a per-host rate limit, connect timeouts, and the target's
//! locations.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hallmark_model::{Location, Transport};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::{Instant, sleep_until, timeout};

use crate::Limits;

/// Spaces connection starts to a host: at most `per_second` of them each second.
#[derive(Clone)]
pub(crate) struct RateLimiter {
    next: Arc<Mutex<Instant>>,
    interval: Duration,
}

impl RateLimiter {
    pub(crate) fn new(per_second: u32) -> RateLimiter {
        let interval = Duration::from_secs(1)
            .checked_div(per_second.max(1))
            .unwrap_or(Duration::from_millis(1));
        RateLimiter {
            next: Arc::new(Mutex::new(Instant::now())),
            interval,
        }
    }

    /// Waits for this caller's turn.
    pub(crate) async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.interval;
            at
        };
        // The timer has millisecond resolution: intervals shorter than that are paid for in
        // bursts, once the debt reaches a millisecond, so the average rate holds.
        if at > Instant::now() + Duration::from_millis(1) {
            sleep_until(at).await;
        }
    }
}

/// Why a TCP connection did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectError {
    /// The host answered with a reset: nothing listens.
    Refused,
    /// No answer within the timeout: filtered, or the host is down.
    Timeout,
    /// The network or host is unreachable (ICMP or no route).
    Unreachable,
}

/// The device being probed, and how to reach it under the limits.
#[derive(Clone)]
pub(crate) struct Target {
    /// The host as the user gave it (a name or an address).
    pub(crate) host: String,
    /// The address probed.
    pub(crate) ip: IpAddr,
    pub(crate) limits: Limits,
    /// Rate limit for the port scan (cheap connects).
    pub(crate) scan_rate: RateLimiter,
    /// Rate limit for service probes (handshakes, logins).
    pub(crate) probe_rate: RateLimiter,
}

impl Target {
    pub(crate) fn new(host: String, ip: IpAddr, limits: Limits) -> Target {
        Target {
            scan_rate: RateLimiter::new(limits.scan_per_second),
            probe_rate: RateLimiter::new(limits.probes_per_second),
            host,
            ip,
            limits,
        }
    }

    /// A TCP location on the target.
    pub(crate) fn tcp(&self, port: u16, service: Option<&str>) -> Location {
        Location::Endpoint {
            host: self.host.clone(),
            port: Some(port),
            transport: Transport::Tcp,
            service: service.map(str::to_owned),
        }
    }

    /// A UDP location on the target.
    pub(crate) fn udp(&self, port: u16, service: Option<&str>) -> Location {
        Location::Endpoint {
            host: self.host.clone(),
            port: Some(port),
            transport: Transport::Udp,
            service: service.map(str::to_owned),
        }
    }

    /// Opens a connection for a service probe (rate-limited, with the connect timeout).
    pub(crate) async fn connect(&self, port: u16) -> Result<TcpStream, ConnectError> {
        self.probe_rate.wait().await;
        self.connect_now(port).await
    }

    /// Opens a connection for an application protocol (rate-limited), over TLS 1.2 or 1.3
    /// when `tls`; the error says why it could not be opened.
    pub(crate) async fn open(&self, port: u16, tls: bool) -> Result<Conn, String> {
        let stream = self
            .connect(port)
            .await
            .map_err(|e| format!("connection failed ({e:?})"))?;
        if !tls {
            return Ok(Box::new(stream));
        }
        let config = tls_client()?;
        let name = match self.host.parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
            Err(_) => rustls::pki_types::ServerName::try_from(self.host.clone())
                .unwrap_or(rustls::pki_types::ServerName::IpAddress(self.ip.into())),
        };
        let connector = tokio_rustls::TlsConnector::from(config);
        match timeout(self.limits.read_timeout, connector.connect(name, stream)).await {
            Ok(Ok(tls)) => Ok(Box::new(tls)),
            Ok(Err(e)) => Err(format!("TLS 1.2/1.3 handshake failed ({e})")),
            Err(_) => Err("TLS handshake timed out".into()),
        }
    }

    /// Opens a connection without waiting for the probe rate (the scan has its own).
    pub(crate) async fn connect_now(&self, port: u16) -> Result<TcpStream, ConnectError> {
        let addr = SocketAddr::new(self.ip, port);
        match timeout(self.limits.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
            Ok(Err(e)) => Err(match e.kind() {
                std::io::ErrorKind::ConnectionRefused => ConnectError::Refused,
                std::io::ErrorKind::TimedOut => ConnectError::Timeout,
                _ => ConnectError::Unreachable,
            }),
            Err(_) => Err(ConnectError::Timeout),
        }
    }
}

/// A byte stream to the target: plain TCP or TLS over it.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection for an application protocol (HTTP, MQTT), plain or over TLS.
pub(crate) type Conn = Box<dyn Io>;

/// Accepts any certificate and handshake signature. The prober judges certificates itself
/// (the TLS inspection reads them with hand-built handshakes); this client only carries
/// application requests to devices whose certificates are expected to be self-signed, expired
/// or weak.
#[derive(Debug)]
struct AcceptAny(Vec<rustls::SignatureScheme>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.clone()
    }
}

/// The TLS client configuration (TLS 1.2 and 1.3, the ring provider's suites), built once.
fn tls_client() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let schemes = provider
                .signature_verification_algorithms
                .supported_schemes();
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(schemes)))
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_rate_limit_holds_on_average_without_per_call_sleeps() {
        let limiter = RateLimiter::new(10_000);
        let started = Instant::now();
        for _ in 0..2_000 {
            limiter.wait().await;
        }
        let took = started.elapsed();
        // 2,000 starts at 10,000 per second: about 0.2 s, never much less and not 2 s.
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
    }
}
