//! Which TCP ports to try, and the connect scan.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::ProbeError;
use crate::net::{ConnectError, Target};

/// The ports of connected devices seen most often: remote access, web, management, printing,
/// cameras, messaging, building automation and vendor services.
pub const TOP_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 81, 82, 88, 110, 111, 135, 139, 143, 389, 443, 445, 502, 515, 554, 587,
    631, 636, 873, 993, 995, 1080, 1194, 1433, 1723, 1883, 1900, 2000, 2049, 2323, 3000, 3306,
    3389, 4433, 4443, 4567, 5000, 5001, 5060, 5061, 5222, 5357, 5432, 5555, 5683, 5900, 5985, 5986,
    6000, 6379, 6668, 7547, 8000, 8001, 8008, 8009, 8080, 8081, 8086, 8088, 8181, 8291, 8443, 8554,
    8883, 8888, 9000, 9090, 9091, 9100, 9101, 9102, 9443, 9999, 10000, 10001, 11211, 20000, 37777,
    44818, 47808, 49152, 49153, 50000, 62078,
];

/// Which TCP ports a probe tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// [`TOP_PORTS`].
    Top,
    /// Every port, 1 to 65535.
    All,
    /// These ports (sorted, unique).
    List(Vec<u16>),
}

impl PortSpec {
    /// Parses `top`, `all`, or a list like `22,80,8000-8100`.
    pub fn parse(text: &str) -> Result<PortSpec, ProbeError> {
        match text.trim() {
            "top" => return Ok(PortSpec::Top),
            "all" => return Ok(PortSpec::All),
            _ => {}
        }
        let bad = || ProbeError::Ports(text.to_owned());
        let mut ports = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (lo.trim(), hi.trim()),
                None => (part, part),
            };
            let lo: u16 = lo.parse().map_err(|_| bad())?;
            let hi: u16 = hi.parse().map_err(|_| bad())?;
            if lo == 0 || hi < lo {
                return Err(bad());
            }
            ports.extend(lo..=hi);
        }
        if ports.is_empty() {
            return Err(bad());
        }
        ports.sort_unstable();
        ports.dedup();
        Ok(PortSpec::List(ports))
    }

    /// The ports, ascending.
    pub fn ports(&self) -> Vec<u16> {
        match self {
            PortSpec::Top => {
                let mut ports = TOP_PORTS.to_vec();
                ports.sort_unstable();
                ports.dedup();
                ports
            }
            PortSpec::All => (1..=u16::MAX).collect(),
            PortSpec::List(ports) => ports.clone(),
        }
    }
}

/// What the scan saw.
#[derive(Debug, Default)]
pub(crate) struct ScanResult {
    pub(crate) open: Vec<u16>,
    pub(crate) refused: u32,
    pub(crate) silent: u32,
    pub(crate) unreachable: u32,
    /// The scan stopped early: the host answered none of the first ports tried.
    pub(crate) gave_up: bool,
}

/// After this many ports in a row without any answer (no open port, no reset), the host is
/// taken to be down or filtering everything and the scan stops.
const SILENT_GIVE_UP: u32 = 1024;

/// Connect scan of `ports` with bounded concurrency and the scan rate limit.
pub(crate) async fn scan(target: &Target, ports: &[u16]) -> ScanResult {
    let permits = Arc::new(Semaphore::new(target.limits.scan_concurrency.max(1)));
    let answered = Arc::new(AtomicU32::new(0));
    let silent_streak = Arc::new(AtomicU32::new(0));
    let mut tasks = JoinSet::new();
    let mut result = ScanResult::default();
    for &port in ports {
        if answered.load(Ordering::Relaxed) == 0
            && silent_streak.load(Ordering::Relaxed) >= SILENT_GIVE_UP
        {
            result.gave_up = true;
            break;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        target.scan_rate.wait().await;
        let target = target.clone();
        let answered = answered.clone();
        let silent_streak = silent_streak.clone();
        tasks.spawn(async move {
            let outcome = target.connect_now(port).await;
            drop(permit);
            match outcome {
                Ok(_) | Err(ConnectError::Refused) => {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    silent_streak.fetch_add(1, Ordering::Relaxed);
                }
            }
            (port, outcome.map(|_| ()))
        });
        // Collect finished tasks as we go so the set stays small on `all`.
        while let Some(Ok((port, outcome))) = tasks.try_join_next() {
            tally(&mut result, port, outcome);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((port, outcome)) = joined {
            tally(&mut result, port, outcome);
        }
    }
    result.open.sort_unstable();
    result
}

fn tally(result: &mut ScanResult, port: u16, outcome: Result<(), ConnectError>) {
    match outcome {
        Ok(()) => result.open.push(port),
        Err(ConnectError::Refused) => result.refused = result.refused.saturating_add(1),
        Err(ConnectError::Timeout) => result.silent = result.silent.saturating_add(1),
        Err(ConnectError::Unreachable) => {
            result.unreachable = result.unreachable.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_ranges_and_names() {
        assert_eq!(PortSpec::parse("top").unwrap(), PortSpec::Top);
        assert_eq!(PortSpec::parse("all").unwrap().ports().len(), 65535);
        assert_eq!(
            PortSpec::parse("80, 22,20-23").unwrap(),
            PortSpec::List(vec![20, 21, 22, 23, 80])
        );
        for bad in ["", "0", "70000", "9-3", "a", "1-"] {
            assert!(PortSpec::parse(bad).is_err(), "{bad}");
        }
        let top = PortSpec::Top.ports();
        assert!(top.windows(2).all(|w| w[0] < w[1]));
    }
}
