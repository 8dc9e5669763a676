//! Services started by the firmware and their settings (principles 2, 3, 7 and 8).

use hallmark_model::facts::{Facts, Service};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

fn setting<'s>(service: &'s Service, key: &str) -> Option<&'s str> {
    service.settings.get(key).map(String::as_str)
}

fn describe(service: &Service) -> String {
    let mut text = service.program.clone();
    for arg in &service.args {
        text.push(' ');
        text.push_str(arg);
    }
    format!("{text} (started by {})", service.started_by)
}

/// Services need the services collector to have run completely.
fn services<'f>(judge: &mut Judge<'_>, facts: &'f Facts) -> Option<&'f [Service]> {
    judge
        .needs(facts, "services", "the services the firmware starts")
        .then_some(&facts.services[..])
}

check! {
    /// No telnet server.
    Telnet {
        id: "services-telnet",
        title: "No telnet server is started",
        requirements: ["ECD-3.1", "ECD-8.2"],
        severity: High,
        doc: "## What it checks\nThat no init script, inittab, inetd or systemd unit starts a telnet daemon (telnetd, in.telnetd, utelnetd, busybox telnetd).\n\n## Why it matters\nTelnet sends passwords and the whole session in cleartext and is the first thing botnets try. When it runs a shell instead of `login`, anyone reaching the port is root.\n\n## Evidence\nThe command that starts it, with the file and line.\n\n## How to fix\nRemove telnetd from the image (or at least from start-up) and offer SSH with key or strong-password authentication instead; if a factory test needs telnet, gate it behind a physical action and disable it in production builds.\n\n## Inconclusive when\nNo start-up configuration (inittab, init scripts, /init) was examined.\n",
        evaluate: telnet,
    }
}

fn telnet(check: &Telnet, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    for s in services
        .iter()
        .filter(|s| s.service == "telnet" && s.started_by != "config")
    {
        let shell = setting(s, "login") == Some("none");
        judge.fail(
            &s.location,
            Some(if shell {
                Severity::Critical
            } else {
                Severity::High
            }),
            if shell {
                "telnet server started with a shell instead of a login".to_owned()
            } else {
                "telnet server started".to_owned()
            },
            describe(s),
            if shell {
                "anyone who reaches the port gets a root shell, over cleartext"
            } else {
                "telnet carries credentials and sessions in cleartext"
            },
            "Remove telnetd from start-up and the image; use SSH instead.",
        );
    }
    judge.finish(true, "no telnet server is started")
}

check! {
    /// No shell without authentication.
    UnauthenticatedShells {
        id: "services-unauthenticated-shells",
        title: "No shell is offered without authentication",
        requirements: ["ECD-2.2", "ECD-8.3"],
        severity: Critical,
        doc: "## What it checks\nThat no console or network service hands out a shell without a login: an inittab entry such as `ttyS0::respawn:/bin/sh`, an initramfs `/init` ending in `exec /bin/sh`, a telnetd run with `-l /bin/sh`.\n\n## Why it matters\nAnyone with the serial header, console or port gets a root shell with no credentials: the debug interface is open in production.\n\n## Evidence\nThe inittab, init or start-up line, with file and line.\n\n## How to fix\nRun `getty`/`login` (or BusyBox `sulogin`) on consoles, require authentication on every interface, and remove debug shells from production builds.\n\n## Inconclusive when\nNo start-up configuration was examined.\n",
        evaluate: unauthenticated_shells,
    }
}

fn unauthenticated_shells(check: &UnauthenticatedShells, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    for s in services
        .iter()
        .filter(|s| setting(s, "login") == Some("none"))
    {
        let where_ = if s.service == "console" {
            setting(s, "tty")
                .map(|t| format!("console {t}"))
                .unwrap_or_else(|| "the console".into())
        } else {
            format!("the {} service", s.service)
        };
        judge.fail(
            &s.location,
            None,
            format!("a shell is offered on {where_} without authentication"),
            describe(s),
            "whoever reaches this interface is root without any credential",
            "Run a login program (getty/login or sulogin) instead of a shell, and remove debug shells from production builds.",
        );
    }
    judge.finish(true, "every shell requires a login")
}

check! {
    /// SSH refuses blank passwords.
    SshBlankPasswords {
        id: "services-ssh-blank-passwords",
        title: "The SSH server refuses blank passwords",
        requirements: ["ECD-2.2"],
        severity: High,
        doc: "## What it checks\nThat dropbear is not started with `-B`, which allows logins to accounts with an empty password.\n\n## Why it matters\nWith `-B`, every account with an empty password is a network login anyone can use.\n\n## Evidence\nThe dropbear command line, with file and line.\n\n## How to fix\nDrop `-B`; prefer key authentication and disable password logins for root (`-g`) or entirely (`-s`).\n\n## Inconclusive when\nNo start-up configuration was examined.\n",
        evaluate: ssh_blank_passwords,
    }
}

fn ssh_blank_passwords(check: &SshBlankPasswords, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let ssh = services.iter().filter(|s| s.service == "ssh").count();
    for s in services
        .iter()
        .filter(|s| s.service == "ssh" && setting(s, "blank_passwords") == Some("yes"))
    {
        judge.fail(
            &s.location,
            None,
            "SSH server allows blank-password logins (-B)",
            describe(s),
            "accounts with empty passwords can log in over the network",
            "Remove `-B` from the dropbear command line.",
        );
    }
    judge.finish(
        ssh > 0,
        if ssh > 0 {
            "the SSH server refuses blank passwords"
        } else {
            "the image starts no SSH server"
        },
    )
}

check! {
    /// FTP without anonymous access.
    FtpAnonymous {
        id: "services-ftp-anonymous",
        title: "FTP servers allow no anonymous access and use TLS",
        requirements: ["ECD-2.2", "ECD-3.1"],
        severity: High,
        doc: "## What it checks\nThe FTP server configuration (vsftpd) for anonymous login, anonymous upload or directory creation, and missing TLS.\n\n## Why it matters\nAnonymous FTP with write access lets anyone store and overwrite files; FTP without TLS sends passwords in cleartext.\n\n## Evidence\nThe configuration file and the settings found.\n\n## How to fix\nSet `anonymous_enable=NO`, `anon_upload_enable=NO`, `anon_mkdir_write_enable=NO` and `ssl_enable=YES` with `force_local_logins_ssl=YES`; better, replace FTP with SFTP.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: ftp_anonymous,
    }
}

fn ftp_anonymous(check: &FtpAnonymous, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let ftp: Vec<&Service> = services
        .iter()
        .filter(|s| s.service == "ftp" && s.started_by == "config")
        .collect();
    for s in &ftp {
        let mut issues = Vec::new();
        for (key, label) in [
            ("anonymous", "anonymous login"),
            ("anonymous_upload", "anonymous upload"),
            ("anonymous_mkdir", "anonymous directory creation"),
        ] {
            if setting(s, key) == Some("yes") {
                issues.push(label);
            }
        }
        if setting(s, "tls") == Some("no") {
            issues.push("no TLS");
        }
        if !issues.is_empty() {
            judge.fail(
                &s.location,
                None,
                format!("FTP server allows {}", issues.join(", ")),
                issues.join(", "),
                "anyone can read or write files, and credentials travel in cleartext",
                "Disable anonymous access and enable TLS, or replace FTP with SFTP.",
            );
        }
    }
    judge.finish(
        !ftp.is_empty(),
        if ftp.is_empty() {
            "the image configures no FTP server"
        } else {
            "FTP servers require authentication and TLS"
        },
    )
}

check! {
    /// No default SNMP communities.
    SnmpCommunities {
        id: "services-snmp-communities",
        title: "SNMP uses no default community strings",
        requirements: ["ECD-2.1", "ECD-3.1"],
        severity: Medium,
        doc: "## What it checks\nThe SNMP agent configuration for the default communities `public` and `private`.\n\n## Why it matters\nDefault communities give anyone on the network read (and with `private`, write) access to device management; SNMP v1/v2c sends them in cleartext.\n\n## Evidence\nThe snmpd.conf lines with the communities.\n\n## How to fix\nRemove v1/v2c communities and use SNMPv3 with authPriv (SHA and AES) and per-device credentials; if v2c is unavoidable, use a unique random community restricted to the management network.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: snmp_communities,
    }
}

fn snmp_communities(check: &SnmpCommunities, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let snmp: Vec<&Service> = services
        .iter()
        .filter(|s| s.service == "snmp" && s.started_by == "config")
        .collect();
    for s in &snmp {
        let Some(list) = setting(s, "communities") else {
            continue;
        };
        let defaults: Vec<&str> = list
            .split(',')
            .filter(|c| matches!(c.split(':').next(), Some("public" | "private")))
            .collect();
        if !defaults.is_empty() {
            judge.fail(&s.location, None, format!("SNMP default communities {}", defaults.join(", ")), list.to_owned(), "default community strings are known to everyone", "Use SNMPv3 with per-device credentials, or unique communities limited to the management network.");
        }
    }
    judge.finish(
        !snmp.is_empty(),
        if snmp.is_empty() {
            "the image configures no SNMP agent"
        } else {
            "no default SNMP communities"
        },
    )
}

check! {
    /// The web server is configured safely.
    WebServer {
        id: "services-web-server",
        title: "The web server runs unprivileged, over TLS, without listings or shell CGI",
        requirements: ["ECD-7.1", "ECD-3.1", "ECD-8.6"],
        severity: Medium,
        doc: "## What it checks\nThe web server configuration (lighttpd, uhttpd): whether it runs as root, serves plain HTTP only, lists directories, or runs CGI scripts through a shell.\n\n## Why it matters\nThe web interface is the most attacked surface of a device. Running it as root turns any bug into full control; plain HTTP exposes admin credentials; listings disclose files; shell CGI invites command injection.\n\n## Evidence\nThe configuration file and the settings found.\n\n## How to fix\nRun the server as a dedicated unprivileged user, serve HTTPS only (redirect HTTP), disable directory listing, and implement CGI in a language without shell evaluation of input.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: web_server,
    }
}

fn web_server(check: &WebServer, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let web: Vec<&Service> = services
        .iter()
        .filter(|s| s.service == "http" && s.started_by == "config")
        .collect();
    for s in &web {
        let mut issues = Vec::new();
        if setting(s, "run_as") == Some("root") {
            issues.push("runs as root");
        }
        if setting(s, "tls") == Some("no") {
            issues.push("plain HTTP only");
        }
        if setting(s, "directory_listing") == Some("yes") {
            issues.push("directory listing");
        }
        if setting(s, "cgi_interpreter_shell") == Some("yes") {
            issues.push("CGI through a shell");
        }
        if !issues.is_empty() {
            judge.fail(&s.location, None, format!("web server: {}", issues.join(", ")), issues.join(", "), "the web interface is exposed with more privilege and less protection than it needs", "Run as an unprivileged user, serve HTTPS only, disable listings and shell CGI.");
        }
    }
    judge.finish(
        !web.is_empty(),
        if web.is_empty() {
            "the image configures no web server we read"
        } else {
            "web servers are configured safely"
        },
    )
}

check! {
    /// Wi-Fi uses modern security.
    Wifi {
        id: "services-wifi",
        title: "Wi-Fi uses WPA2/WPA3 and no static WPS PIN",
        requirements: ["ECD-8.5", "ECD-3.1"],
        severity: Medium,
        doc: "## What it checks\nThe wireless configuration for WEP or open networks and static WPS PINs.\n\n## Why it matters\nWEP is broken in minutes; a static WPS PIN can be brute-forced and gives out the network key.\n\n## Evidence\nThe wireless configuration section and its settings.\n\n## How to fix\nUse WPA2-PSK (CCMP) or WPA3-SAE with a unique per-device key, or 802.1X in enterprises; disable WPS or use push-button only.\n\n## Inconclusive when\nNo root filesystem was examined.\n",
        evaluate: wifi,
    }
}

fn wifi(check: &Wifi, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(services) = services(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let ifaces: Vec<&Service> = services.iter().filter(|s| s.service == "wifi").collect();
    for s in &ifaces {
        let mut issues = Vec::new();
        match setting(s, "encryption") {
            Some(e) if e.starts_with("wep") => issues.push("WEP encryption".to_owned()),
            Some("none") => issues.push("open network".to_owned()),
            _ => {}
        }
        if let Some(pin) = setting(s, "wps_pin") {
            issues.push(format!("static WPS PIN {pin}"));
        }
        if !issues.is_empty() {
            judge.fail(
                &s.location,
                None,
                format!("Wi-Fi: {}", issues.join(", ")),
                issues.join(", "),
                "the wireless network can be joined by outsiders",
                "Use WPA2/WPA3 with a unique key and disable WPS PINs.",
            );
        }
    }
    judge.finish(
        !ifaces.is_empty(),
        if ifaces.is_empty() {
            "the image configures no Wi-Fi network"
        } else {
            "Wi-Fi networks use modern security"
        },
    )
}
