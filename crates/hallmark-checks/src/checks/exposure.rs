//! What the device exposes and talks to, listed for the people who must document and approve
//! it (principles 3, 7, 8 and 10). These checks never fail on their own: they inventory what
//! the firmware shows, and the requirement is met when the manufacturer's published
//! documentation matches (a declaration).

use hallmark_model::facts::{Facts, ToolCategory};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

/// Most inventory entries listed one by one; the rest are counted.
const MAX_LISTED: usize = 50;

check! {
    /// The services the image starts, for the published inventory.
    ServiceInventory {
        id: "services-inventory",
        title: "Every network service the device starts is in the published inventory",
        requirements: ["ECD-8.1"],
        severity: Medium,
        doc: "## What it checks\nLists every service the image starts at boot (from inittab, init scripts, procd, inetd and systemd units), with what starts it, as informational findings to compare with the manufacturer's published list of interfaces and services.\n\n## Why it matters\nAn enterprise can only firewall, monitor and approve what it knows about: an undocumented service is an unmanaged way in.\n\n## Evidence\nEach service, its program and options, and the file and line that start it.\n\n## How to fix\nPublish a complete inventory of network interfaces, services, ports and their purpose for each firmware version, and keep it in step with the image.\n\n## Inconclusive when\nAlways, until the manufacturer's inventory is supplied as a declaration to compare with; also when no root filesystem was examined.\n",
        evaluate: service_inventory,
    }
}

fn service_inventory(check: &ServiceInventory, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "services", "the services started at boot") {
        return judge.finish(true, "");
    }
    let started: Vec<_> = facts
        .services
        .iter()
        .filter(|s| s.started_by != "config")
        .collect();
    for s in started.iter().take(MAX_LISTED) {
        let args = if s.args.is_empty() {
            String::new()
        } else {
            format!(" {}", s.args.join(" "))
        };
        judge.fail(
            &s.location,
            Some(Severity::Info),
            format!("{} service: {}", s.service, s.program),
            format!("{}{args} (started by {})", s.program, s.started_by),
            "listed for comparison with the published inventory",
            "Document this service (port, purpose, how to disable it) in the published inventory.",
        );
    }
    judge.missing(format!(
        "the image starts {} services{}; that the manufacturer's published inventory lists them all needs the declaration",
        started.len(),
        if started.len() > MAX_LISTED {
            format!(" (the first {MAX_LISTED} are listed)")
        } else {
            String::new()
        }
    ));
    judge.finish(true, "")
}

check! {
    /// The remote endpoints the image is configured to talk to.
    EndpointInventory {
        id: "transport-endpoints-inventory",
        title: "Every remote endpoint the device contacts is documented and needed",
        requirements: ["ECD-3.7", "ECD-7.4"],
        severity: Low,
        doc: "## What it checks\nLists the remote hosts the image is configured to contact (URLs in configuration and scripts: update servers, cloud and telemetry services, time and log servers), as informational findings to compare with the manufacturer's documentation of the device's communications and data collection.\n\n## Why it matters\nEvery outbound connection can carry data off the site and is a dependency on someone else's service; an enterprise must know them to allow only what is needed.\n\n## Evidence\nEach endpoint with the file and line that configures it.\n\n## How to fix\nDocument each outbound destination, what data it receives and why, and let the administrator disable optional ones (telemetry, cloud features).\n\n## Inconclusive when\nAlways, until the manufacturer's documented communications are supplied as a declaration; endpoints built at run time need a network capture. Also when no root filesystem was examined.\n",
        evaluate: endpoint_inventory,
    }
}

fn endpoint_inventory(check: &EndpointInventory, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "secrets", "the endpoints configured in the image") {
        return judge.finish(true, "");
    }
    let mut hosts: Vec<(&str, &hallmark_model::facts::RemoteEndpoint)> = Vec::new();
    for e in &facts.endpoints {
        let host = host_of(&e.url);
        if !hosts.iter().any(|(h, _)| *h == host) {
            hosts.push((host, e));
        }
    }
    for (host, e) in hosts.iter().take(MAX_LISTED) {
        judge.fail(
            &e.location,
            Some(Severity::Info),
            format!("contacts {host}"),
            e.url.clone(),
            "listed for comparison with the documented communications",
            "Document why the device contacts this host and what it sends; make optional destinations configurable.",
        );
    }
    judge.missing(format!(
        "the image names {} remote hosts; that they are documented and needed needs the manufacturer's declaration (and a network capture for hosts built at run time)",
        hosts.len()
    ));
    judge.finish(true, "")
}

/// The host part of a URL (`https://user@host:443/path` -> `host`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port
            .split_once(']')
            .map_or(host_port, |(h, _)| h.trim_start_matches('['));
    }
    host_port.split(':').next().unwrap_or(host_port)
}

check! {
    /// The device supports enterprise network monitoring.
    Monitoring {
        id: "platform-monitoring",
        title: "The device supports enterprise network monitoring",
        requirements: ["ECD-10.7"],
        severity: Low,
        doc: "## What it checks\nThat the image has an agent an enterprise monitoring system can use: an SNMP agent (`snmpd`, or an SNMP service started), LLDP (`lldpd`, `ladvd`), flow export (`softflowd`, `fprobe`, `hsflowd`, `pmacctd`) or a metrics collector (`collectd`, `telegraf`, `node_exporter`).\n\n## Why it matters\nA device that cannot be seen by the enterprise's monitoring cannot be inventoried, baselined or noticed when it starts behaving oddly.\n\n## Evidence\nThe monitoring agents found.\n\n## How to fix\nSupport SNMPv3 and LLDP at least, and document the device's expected traffic (for example with a MUD file) so that deviations can be detected.\n\n## Inconclusive when\nNo monitoring agent is visible: a vendor program may implement one (declaration or network probe needed). Also when no root filesystem was examined.\n",
        evaluate: monitoring,
    }
}

fn monitoring(check: &Monitoring, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "inventory", "the tools in the image") {
        return judge.finish(true, "");
    }
    let mut agents: Vec<&str> = facts
        .tools
        .iter()
        .filter(|t| t.category == ToolCategory::Monitoring)
        .map(|t| t.name.as_str())
        .chain(
            facts
                .services
                .iter()
                .filter(|s| s.service == "snmp" && s.started_by != "config")
                .map(|s| s.program.as_str()),
        )
        .collect();
    agents.sort_unstable();
    agents.dedup();
    if agents.is_empty() {
        judge.missing("no SNMP, LLDP, flow-export or metrics agent is visible in the image; a vendor program may provide one (declaration or network probe needed)");
    }
    judge.finish(
        true,
        format!("monitoring agents present: {}", agents.join(", ")),
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_location, not_run};
    use hallmark_model::Verdict;
    use hallmark_model::facts::{CoverageStatus, RemoteEndpoint, Service, Tool};

    fn service(name: &str, started_by: &str) -> Service {
        Service {
            service: name.into(),
            program: format!("/usr/sbin/{name}d"),
            args: vec!["-p".into(), "80".into()],
            started_by: started_by.into(),
            settings: Default::default(),
            location: image_location("/etc/init.d/S50"),
        }
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let lldpd = Tool {
            category: ToolCategory::Monitoring,
            name: "lldpd".into(),
            location: image_location("/usr/sbin/lldpd"),
        };
        vec![
            (
                "services-inventory",
                Inconclusive,
                facts_with("services", |f| {
                    f.services = vec![service("http", "init-script")]
                }),
            ),
            ("services-inventory", Inconclusive, not_run("services")),
            (
                "transport-endpoints-inventory",
                Inconclusive,
                facts_with("secrets", |f| {
                    f.endpoints = vec![RemoteEndpoint {
                        url: "https://cloud.example.invalid/v1".into(),
                        scheme: "https".into(),
                        encrypted: true,
                        location: image_location("/etc/config/cloud"),
                    }]
                }),
            ),
            (
                "platform-monitoring",
                Pass,
                facts_with("inventory", |f| f.tools = vec![lldpd]),
            ),
            (
                "platform-monitoring",
                Inconclusive,
                facts_with("inventory", |_| {}),
            ),
        ]
    }

    #[test]
    fn services_are_listed_never_failed() {
        let facts = facts_with("services", |f| {
            f.services = vec![service("http", "init-script"), service("ftp", "config")];
        });
        let o = ServiceInventory.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert_eq!(
            o.findings.len(),
            1,
            "configured-only services are not started"
        );
        assert_eq!(o.findings[0].severity, Severity::Info);
        assert_eq!(o.findings[0].title, "http service: /usr/sbin/httpd");
        assert!(o.missing[0].contains("starts 1 services"));
        assert_eq!(
            ServiceInventory.evaluate(&Facts::default()).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn endpoints_are_listed_once_per_host() {
        let endpoint = |url: &str| RemoteEndpoint {
            url: url.into(),
            scheme: url.split(':').next().unwrap().into(),
            encrypted: url.starts_with("https"),
            location: image_location("/etc/config/cloud"),
        };
        let facts = facts_with("secrets", |f| {
            f.endpoints = vec![
                endpoint("https://cloud.example.invalid/v1"),
                endpoint("http://user:***@cloud.example.invalid:8080/x"),
                endpoint("mqtts://[2001:db8::1]:8883"),
            ];
        });
        let o = EndpointInventory.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Inconclusive);
        let titles: Vec<&str> = o.findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["contacts cloud.example.invalid", "contacts 2001:db8::1"]
        );
        assert!(o.findings.iter().all(|f| f.severity == Severity::Info));
    }

    #[test]
    fn monitoring_agents() {
        let with = |tools: Vec<Tool>, services: Vec<Service>| {
            facts_with("inventory", |f| {
                f.tools = tools;
                f.services = services;
            })
        };
        let lldpd = Tool {
            category: ToolCategory::Monitoring,
            name: "lldpd".into(),
            location: image_location("/usr/sbin/lldpd"),
        };
        let o = Monitoring.evaluate(&with(vec![lldpd], vec![]));
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(o.summary.contains("lldpd"));
        let o = Monitoring.evaluate(&with(vec![], vec![service("snmp", "procd")]));
        assert_eq!(o.verdict, Verdict::Pass);
        let o = Monitoring.evaluate(&with(vec![], vec![]));
        assert_eq!(o.verdict, Verdict::Inconclusive);
        let mut partial = with(vec![], vec![]);
        partial.coverage.get_mut("inventory").unwrap().status = CoverageStatus::Partial;
        assert_eq!(Monitoring.evaluate(&partial).verdict, Verdict::Inconclusive);
        assert_eq!(Monitoring.id(), "platform-monitoring");
    }
}
