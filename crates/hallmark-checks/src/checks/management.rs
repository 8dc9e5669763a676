//! Remote management (principle 9): the management protocols the image configures.

use hallmark_model::facts::{Facts, Service};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, path_of};

check! {
    /// Remote management uses authenticated, encrypted protocols.
    ManagementProtocols {
        id: "management-protocols",
        title: "Remote management protocols authenticate and encrypt (SNMPv3 authPriv, TR-069 over HTTPS)",
        requirements: ["ECD-9.1"],
        severity: High,
        doc: "## What it checks\nThe SNMP agent and TR-069 (CWMP) client configuration in the image: `snmpd.conf` and OpenWrt UCI `snmpd`/`mini_snmpd` for v1/v2c communities (`rocommunity`, `rwcommunity`, `com2sec`) against SNMPv3 users and their security level (`createUser`, `rouser`/`rwuser`, VACM `access` for `usm`); UCI `cwmp`/`easycwmp` and vendor configuration keys (`acs_url`, `ACSURL`, ...) for the scheme of the ACS URL.\n\n## Why it matters\nFleet management is where an attacker gains the most: a v1/v2c community travels in cleartext and, once sniffed or guessed, lets anyone read or reconfigure the device; an ACS reached over plain HTTP can be impersonated to push configuration or firmware to every device that trusts it.\n\n## Evidence\nThe configuration file and line: the communities, the v3 users and their level, the ACS URL.\n\n## How to fix\nMake SNMP v3-only with `authPriv` (SHA-2 and AES) and remove v1/v2c communities; reach the TR-069 ACS (and USP, LwM2M and provisioning servers) over HTTPS with server-certificate validation, with no fallback to HTTP.\n\n## Inconclusive when\nThe image configures neither SNMP nor TR-069 (management may use an HTTPS API or NETCONF, which need a live test or the manufacturer's declaration), an agent is started whose configuration was not read, SNMPv3 users are defined without an access line, or no root filesystem was examined.\n",
        evaluate: protocols,
    }
}

fn setting<'s>(s: &'s Service, key: &str) -> Option<&'s str> {
    s.settings.get(key).map(String::as_str)
}

/// The comma-separated entries of a setting.
fn entries<'s>(s: &'s Service, key: &str) -> Vec<&'s str> {
    setting(s, key)
        .map(|v| v.split(',').filter(|e| !e.is_empty()).collect())
        .unwrap_or_default()
}

fn level(entry: &str) -> &str {
    entry.rsplit(':').next().unwrap_or("")
}

fn protocols(check: &ManagementProtocols, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "services", "the management agents configured") {
        return judge.finish(true, "");
    }
    let mut secure = Vec::new();
    let mut configured = Vec::new();
    for s in facts.services.iter().filter(|s| s.started_by == "config") {
        let disabled = setting(s, "enabled") == Some("no");
        match s.service.as_str() {
            "snmp" => {
                configured.push("snmp");
                if disabled {
                    continue;
                }
                snmp(&mut judge, s, &mut secure);
            }
            "tr069" => {
                configured.push("tr069");
                let Some(url) = setting(s, "acs_url") else {
                    continue;
                };
                if disabled {
                    continue;
                }
                if url.to_ascii_lowercase().starts_with("https://") {
                    secure.push(format!("TR-069 ACS over HTTPS ({})", path_of(&s.location)));
                } else {
                    judge.fail(
                        &s.location,
                        None,
                        "TR-069 ACS URL uses cleartext HTTP",
                        format!("acs_url {url}"),
                        "whoever is on the path can read the management session and impersonate the ACS to push configuration or firmware",
                        "Reach the ACS over HTTPS with server-certificate validation, with no fallback to HTTP.",
                    );
                }
            }
            _ => {}
        }
    }
    // Agents started whose configuration was not read.
    for kind in ["snmp", "tr069"] {
        if configured.contains(&kind) {
            continue;
        }
        for s in facts
            .services
            .iter()
            .filter(|s| s.service == kind && s.started_by != "config")
        {
            judge.missing(format!(
                "{} is started at {} but its configuration was not read",
                s.program,
                path_of(&s.location)
            ));
        }
    }
    if secure.is_empty() && configured.is_empty() {
        judge.missing("the image configures neither an SNMP agent nor a TR-069 client; whether remote management uses authenticated, encrypted protocols (HTTPS API, NETCONF, SNMPv3) needs a live test or the manufacturer's declaration");
    } else if secure.is_empty() {
        judge.missing("no management protocol configured with authentication and encryption was found (the SNMP or TR-069 configuration is switched off or incomplete); a live test or the manufacturer's declaration must show how the device is managed");
    }
    judge.finish(
        true,
        format!("remote management is protected: {}", secure.join("; ")),
    )
}

fn snmp(judge: &mut Judge<'_>, s: &Service, secure: &mut Vec<String>) {
    let communities = entries(s, "communities");
    let access = entries(s, "v3_access");
    let private: Vec<&str> = access
        .iter()
        .copied()
        .filter(|a| level(a) == "priv")
        .collect();
    let weak: Vec<&str> = access
        .iter()
        .copied()
        .filter(|a| level(a) != "priv")
        .collect();
    if !communities.is_empty() {
        let names: Vec<&str> = communities
            .iter()
            .map(|c| c.split(':').next().unwrap_or(""))
            .collect();
        let title = if private.is_empty() {
            "SNMP offers only v1/v2c community access".to_owned()
        } else {
            "SNMP offers v1/v2c community access besides SNMPv3".to_owned()
        };
        judge.fail(
            &s.location,
            None,
            title,
            format!("communities {}", names.join(", ")),
            "a v1/v2c community travels in cleartext and is the only credential: whoever sniffs or guesses it can read (and with write access change) the device's management data",
            "Make SNMP v3-only with authPriv (SHA-2 and AES) and remove the v1/v2c communities.",
        );
    }
    if !weak.is_empty() {
        judge.fail(
            &s.location,
            Some(Severity::Medium),
            "SNMPv3 access without privacy (no encryption)",
            format!("v3 access {}", weak.join(", ")),
            "without the priv level SNMPv3 messages, and the settings they carry, travel unencrypted",
            "Require the priv security level (authPriv with SHA-2 and AES) for every SNMPv3 user.",
        );
    }
    if !private.is_empty() && communities.is_empty() {
        secure.push(format!(
            "SNMPv3 authPriv for {} ({})",
            private
                .iter()
                .map(|a| a.split(':').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", "),
            path_of(&s.location)
        ));
    }
    if communities.is_empty() && access.is_empty() {
        if entries(s, "v3_users").is_empty() {
            judge.missing(format!(
                "the SNMP configuration at {} grants no community or SNMPv3 access",
                path_of(&s.location)
            ));
        } else {
            judge.missing(format!(
                "the SNMP configuration at {} defines SNMPv3 users but no access line, so their required security level is unknown",
                path_of(&s.location)
            ));
        }
    }
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_line, not_run, seen};
    use hallmark_model::Verdict;

    fn service(
        service: &str,
        program: &str,
        started_by: &str,
        settings: &[(&str, &str)],
        path: &str,
        line: u32,
    ) -> Service {
        Service {
            service: service.into(),
            program: program.into(),
            args: Vec::new(),
            started_by: started_by.into(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            location: image_line(path, line),
        }
    }

    fn with(services: Vec<Service>) -> Facts {
        facts_with("services", |f| f.services = services)
    }

    fn snmp_v2c() -> Service {
        service(
            "snmp",
            "snmpd",
            "config",
            &[("communities", "public:ro,private:rw")],
            "/etc/snmp/snmpd.conf",
            1,
        )
    }

    fn snmp_v3_priv() -> Service {
        service(
            "snmp",
            "snmpd",
            "config",
            &[("v3_users", "admin:priv"), ("v3_access", "admin:priv")],
            "/etc/snmp/snmpd.conf",
            2,
        )
    }

    fn snmp_v3_auth() -> Service {
        service(
            "snmp",
            "snmpd",
            "config",
            &[("v3_users", "mon:auth"), ("v3_access", "mon:auth")],
            "/etc/snmp/snmpd.conf",
            4,
        )
    }

    fn acs(url: &str) -> Service {
        service(
            "tr069",
            "cwmp",
            "config",
            &[("acs_url", url)],
            "/etc/config/cwmp",
            2,
        )
    }

    fn snmpd_started() -> Service {
        service(
            "snmp",
            "/usr/sbin/snmpd",
            "init-script",
            &[],
            "/etc/init.d/snmpd",
            9,
        )
    }

    fn mini_snmpd_off() -> Service {
        service(
            "snmp",
            "mini_snmpd",
            "config",
            &[("communities", "public:ro"), ("enabled", "no")],
            "/etc/config/mini_snmpd",
            3,
        )
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let id = "management-protocols";
        vec![
            (id, Fail, with(vec![snmp_v2c()])),
            (
                id,
                Fail,
                with(vec![acs("http://acs.example.invalid:7547/")]),
            ),
            (id, Fail, with(vec![snmp_v3_priv(), snmp_v3_auth()])),
            (id, Pass, with(vec![snmp_v3_priv()])),
            (
                id,
                Pass,
                with(vec![acs("https://acs.example.invalid/"), mini_snmpd_off()]),
            ),
            // Nothing configured: management may be an HTTPS API.
            (id, Inconclusive, with(Vec::new())),
            // Started, with a configuration written at run time.
            (id, Inconclusive, with(vec![snmpd_started()])),
            // Configured but switched off.
            (id, Inconclusive, with(vec![mini_snmpd_off()])),
            (id, Inconclusive, not_run("services")),
        ]
    }

    #[test]
    fn v1_v2c_and_cleartext_acs_fail_where_configured() {
        let mut both = snmp_v3_priv();
        both.settings
            .insert("communities".into(), "public:ro".into());
        let o = ManagementProtocols.evaluate(&with(vec![
            both,
            acs("http://u:***@acs.example.invalid/"),
            snmp_v3_auth(),
        ]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![
                (
                    "SNMP offers v1/v2c community access besides SNMPv3",
                    Severity::High,
                    (Some("/etc/snmp/snmpd.conf"), Some(2))
                ),
                (
                    "TR-069 ACS URL uses cleartext HTTP",
                    Severity::High,
                    (Some("/etc/config/cwmp"), Some(2))
                ),
                (
                    "SNMPv3 access without privacy (no encryption)",
                    Severity::Medium,
                    (Some("/etc/snmp/snmpd.conf"), Some(4))
                ),
            ]
        );
        let o = ManagementProtocols.evaluate(&with(vec![snmp_v2c()]));
        assert_eq!(
            o.findings[0].title,
            "SNMP offers only v1/v2c community access"
        );
        assert_eq!(
            o.findings[0].evidence[0].observed,
            "communities public, private"
        );
        let o = ManagementProtocols.evaluate(&with(vec![snmp_v3_priv()]));
        assert_eq!(
            o.summary,
            "remote management is protected: SNMPv3 authPriv for admin (/etc/snmp/snmpd.conf)"
        );
        let o = ManagementProtocols.evaluate(&with(vec![snmpd_started()]));
        assert!(o.missing[0].contains("/usr/sbin/snmpd is started at /etc/init.d/snmpd"));
    }
}
