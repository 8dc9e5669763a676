//! Connections under limits: a per-host rate limit, connect timeouts, and the target's
//! locations.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hallmark_model::{Location, Transport};
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
