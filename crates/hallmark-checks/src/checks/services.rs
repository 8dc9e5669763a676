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

/// Servers of `kind` that are started but whose configuration was not read (no `config`
/// entry for their program): `what` they are judged on is unknown.
fn unread_configuration(judge: &mut Judge<'_>, services: &[Service], kind: &str, what: &str) {
    let read: Vec<&str> = services
        .iter()
        .filter(|s| s.service == kind && s.started_by == "config")
        .map(|s| s.program.as_str())
        .collect();
    for s in services.iter().filter(|s| {
        s.service == kind
            && s.started_by != "config"
            && !s
                .program
                .rsplit('/')
                .next()
                .is_some_and(|p| read.contains(&p))
    }) {
        judge.missing(format!(
            "{what} of {} at {} are unknown: no configuration of it was read",
            describe(s),
            crate::util::path_of(&s.location)
        ));
    }
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
    for s in services.iter().filter(|s| s.service == "ssh") {
        if setting(s, "blank_passwords") == Some("yes") {
            judge.fail(
                &s.location,
                None,
                "SSH server allows blank-password logins (-B)",
                describe(s),
                "accounts with empty passwords can log in over the network",
                "Remove `-B` from the dropbear command line.",
            );
        } else if s.program.rsplit('/').next() != Some("dropbear") {
            // Only dropbear's options are read: another server's setting is unknown.
            judge.missing(format!(
                "whether {} allows empty passwords: only dropbear's options are read (OpenSSH's PermitEmptyPasswords in sshd_config is not)",
                describe(s)
            ));
        }
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
    unread_configuration(&mut judge, services, "ftp", "anonymous access and TLS");
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
    unread_configuration(&mut judge, services, "snmp", "the communities");
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
    unread_configuration(
        &mut judge,
        services,
        "http",
        "the privileges, TLS, listings and CGI",
    );
    for s in &web {
        let mut issues = Vec::new();
        if setting(s, "run_as") == Some("root") {
            issues.push("runs as root");
        }
        // lighttpd records `tls=no`; uhttpd records `plain_http=yes`, and `tls=yes` only
        // with an HTTPS listener.
        let tls = setting(s, "tls");
        if tls == Some("no") || (tls.is_none() && setting(s, "plain_http") == Some("yes")) {
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

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{
        Fixture, facts_with, image_line, not_run, partial_with, seen,
    };
    use hallmark_model::Verdict;

    /// The note the services collector writes when it finds no start-up configuration.
    const NO_STARTUP: &str = "no inittab, init script or initramfs /init was found";

    fn service(
        service: &str,
        program: &str,
        args: &[&str],
        started_by: &str,
        settings: &[(&str, &str)],
        path: &str,
        line: u32,
    ) -> Service {
        Service {
            service: service.into(),
            program: program.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            started_by: started_by.into(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            location: image_line(path, line),
        }
    }

    /// A configuration file's settings (`started_by = "config"`).
    fn config(
        kind: &str,
        program: &str,
        settings: &[(&str, &str)],
        path: &str,
        line: u32,
    ) -> Service {
        service(kind, program, &[], "config", settings, path, line)
    }

    // Start-up lines.

    /// `/usr/sbin/dropbear -F -P /var/run/dropbear.1.pid -p 22` from OpenWrt's procd script.
    fn dropbear() -> Service {
        service(
            "ssh",
            "/usr/sbin/dropbear",
            &["-F", "-P", "/var/run/dropbear.1.pid", "-p", "22"],
            "init-script",
            &[("port", "22")],
            "/etc/init.d/dropbear",
            41,
        )
    }

    /// `dropbear -B -p 22 -r ...`: blank passwords allowed.
    fn dropbear_blank() -> Service {
        service(
            "ssh",
            "/usr/sbin/dropbear",
            &[
                "-B",
                "-p",
                "22",
                "-r",
                "/etc/dropbear/dropbear_rsa_host_key",
            ],
            "init-script",
            &[("blank_passwords", "yes"), ("port", "22")],
            "/etc/init.d/S50dropbear",
            1,
        )
    }

    /// `/usr/sbin/in.telnetd -debug 23 -L /bin/sh`: a root shell over telnet.
    fn telnet_shell() -> Service {
        service(
            "telnet",
            "/usr/sbin/in.telnetd",
            &["-debug", "23", "-L", "/bin/sh"],
            "init-script",
            &[
                ("tls", "no"),
                ("login_program", "/bin/sh"),
                ("login", "none"),
            ],
            "/etc/init.d/S40telnetd",
            3,
        )
    }

    /// `telnet stream tcp nowait root /usr/sbin/telnetd telnetd` in inetd.conf.
    fn telnet_inetd() -> Service {
        service(
            "telnet",
            "/usr/sbin/telnetd",
            &[],
            "inetd",
            &[("tls", "no"), ("inetd_service", "telnet")],
            "/etc/inetd.conf",
            2,
        )
    }

    /// `ttyS0::respawn:/bin/sh` in inittab.
    fn console_shell() -> Service {
        service(
            "console",
            "/bin/sh",
            &[],
            "inittab",
            &[("login", "none"), ("tty", "ttyS0")],
            "/etc/inittab",
            2,
        )
    }

    /// An initramfs `/init` ending in `exec /bin/sh`.
    fn init_shell() -> Service {
        service(
            "console",
            "/bin/sh",
            &[],
            "init",
            &[("login", "none")],
            "/init",
            14,
        )
    }

    /// OpenSSH's `ExecStart=/usr/sbin/sshd -D` in a systemd unit.
    fn sshd() -> Service {
        service(
            "ssh",
            "/usr/sbin/sshd",
            &["-D"],
            "systemd",
            &[],
            "/lib/systemd/system/sshd.service",
            9,
        )
    }

    /// `/usr/sbin/dnsmasq -C /var/etc/dnsmasq.conf`.
    fn dnsmasq() -> Service {
        service(
            "dns",
            "/usr/sbin/dnsmasq",
            &["-C", "/var/etc/dnsmasq.conf"],
            "init-script",
            &[],
            "/etc/init.d/dnsmasq",
            30,
        )
    }

    /// `/usr/sbin/lighttpd -f /etc/lighttpd/lighttpd.conf`.
    fn lighttpd_started() -> Service {
        service(
            "http",
            "/usr/sbin/lighttpd",
            &["-f", "/etc/lighttpd/lighttpd.conf"],
            "init-script",
            &[],
            "/etc/init.d/S80lighttpd",
            5,
        )
    }

    /// `/usr/sbin/vsftpd /etc/vsftpd.conf`.
    fn vsftpd_started() -> Service {
        service(
            "ftp",
            "/usr/sbin/vsftpd",
            &["/etc/vsftpd.conf"],
            "init-script",
            &[],
            "/etc/init.d/S70vsftpd",
            4,
        )
    }

    /// `tcpsvd -vE 0.0.0.0 21 ftpd -w /srv/ftp`: BusyBox ftpd, which has no configuration
    /// file.
    fn busybox_ftpd() -> Service {
        service(
            "ftp",
            "ftpd",
            &["-w", "/srv/ftp"],
            "init-script",
            &[],
            "/etc/init.d/S70ftpd",
            6,
        )
    }

    /// `snmpd -c /var/snmpd.conf`: a configuration written at run time.
    fn snmpd_started() -> Service {
        service(
            "snmp",
            "/usr/sbin/snmpd",
            &["-c", "/var/snmpd.conf"],
            "init-script",
            &[],
            "/etc/init.d/snmpd",
            17,
        )
    }

    /// `/bin/goahead &` in rcS.
    fn goahead() -> Service {
        service(
            "http",
            "/bin/goahead",
            &[],
            "init-script",
            &[],
            "/etc/init.d/rcS",
            20,
        )
    }

    // Configuration files, with the settings the collector normalises.

    fn vsftpd_safe() -> Service {
        config(
            "ftp",
            "vsftpd",
            &[("anonymous", "no"), ("local_logins", "yes"), ("tls", "yes")],
            "/etc/vsftpd.conf",
            1,
        )
    }

    fn vsftpd_anonymous() -> Service {
        config(
            "ftp",
            "vsftpd",
            &[
                ("anonymous", "yes"),
                ("anonymous_upload", "yes"),
                ("anonymous_mkdir", "no"),
                ("tls", "no"),
            ],
            "/etc/vsftpd.conf",
            1,
        )
    }

    fn snmpd_unique() -> Service {
        config(
            "snmp",
            "snmpd",
            &[("communities", "k3Xq9vT2:ro")],
            "/etc/snmp/snmpd.conf",
            7,
        )
    }

    /// `rocommunity public` and `rwcommunity private 10.0.0.0/8`.
    fn snmpd_defaults() -> Service {
        config(
            "snmp",
            "snmpd",
            &[("communities", "public:ro,private:rw")],
            "/etc/snmp/snmpd.conf",
            7,
        )
    }

    fn lighttpd_safe() -> Service {
        config(
            "http",
            "lighttpd",
            &[
                ("run_as", "www-data"),
                ("port", "443"),
                ("tls", "yes"),
                ("directory_listing", "no"),
                ("cgi_interpreter_shell", "no"),
            ],
            "/etc/lighttpd/lighttpd.conf",
            3,
        )
    }

    /// `server.username = "root"`, listings on, shell CGI, no `ssl.engine`.
    fn lighttpd_root() -> Service {
        config(
            "http",
            "lighttpd",
            &[
                ("run_as", "root"),
                ("port", "80"),
                ("tls", "no"),
                ("directory_listing", "yes"),
                ("cgi_interpreter_shell", "yes"),
            ],
            "/etc/lighttpd/lighttpd.conf",
            3,
        )
    }

    /// OpenWrt's uhttpd with `listen_http` and, when `https`, `listen_https`.
    fn uhttpd(https: bool) -> Service {
        let mut settings = vec![("listen_http", "0.0.0.0:80"), ("plain_http", "yes")];
        if https {
            settings.push(("tls", "yes"));
        }
        config("http", "uhttpd", &settings, "/etc/config/uhttpd", 1)
    }

    fn wifi(settings: &[(&str, &str)], line: u32) -> Service {
        config("wifi", "hostapd", settings, "/etc/config/wireless", line)
    }

    fn wifi_safe() -> Vec<Service> {
        vec![
            wifi(&[("encryption", "sae"), ("ssid", "corp")], 12),
            wifi(
                &[
                    ("encryption", "psk2+ccmp"),
                    ("ssid", "guest"),
                    ("wps", "yes"),
                ],
                20,
            ),
        ]
    }

    fn wifi_weak() -> Vec<Service> {
        vec![
            wifi(&[("encryption", "wep-open"), ("ssid", "legacy")], 12),
            wifi(
                &[
                    ("encryption", "psk2"),
                    ("ssid", "office"),
                    ("wps_pin", "12345670"),
                ],
                20,
            ),
            wifi(&[("encryption", "none"), ("ssid", "hotspot")], 28),
        ]
    }

    /// Every service configured safely.
    fn clean() -> Vec<Service> {
        let mut services = vec![
            dropbear(),
            dnsmasq(),
            lighttpd_started(),
            lighttpd_safe(),
            vsftpd_started(),
            vsftpd_safe(),
            snmpd_unique(),
        ];
        services.extend(wifi_safe());
        services
    }

    /// Every weakness the service checks know.
    fn weak() -> Vec<Service> {
        let mut services = vec![
            telnet_shell(),
            telnet_inetd(),
            console_shell(),
            dropbear_blank(),
            vsftpd_anonymous(),
            snmpd_defaults(),
            lighttpd_root(),
        ];
        services.extend(wifi_weak());
        services
    }

    fn with(services: Vec<Service>) -> Facts {
        facts_with("services", |f| f.services = services)
    }

    const IDS: &[&str] = &[
        "services-telnet",
        "services-unauthenticated-shells",
        "services-ssh-blank-passwords",
        "services-ftp-anonymous",
        "services-snmp-communities",
        "services-web-server",
        "services-wifi",
    ];

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let mut out = Vec::new();
        for id in IDS {
            out.push((*id, Fail, with(weak())));
            out.push((*id, Pass, with(clean())));
            // Configuration files read, but no start-up configuration found.
            out.push((
                *id,
                Inconclusive,
                partial_with("services", NO_STARTUP, |f| {
                    f.services = clean()
                        .into_iter()
                        .filter(|s| s.started_by == "config")
                        .collect();
                }),
            ));
            out.push((*id, Inconclusive, not_run("services")));
        }
        // Only dnsmasq: nothing to judge for the servers the image does not have.
        for id in [
            "services-ssh-blank-passwords",
            "services-ftp-anonymous",
            "services-snmp-communities",
            "services-web-server",
            "services-wifi",
        ] {
            out.push((id, NotApplicable, with(vec![dnsmasq()])));
        }
        for id in ["services-telnet", "services-unauthenticated-shells"] {
            out.push((id, Pass, with(vec![dnsmasq()])));
        }
        // OpenSSH's PermitEmptyPasswords (sshd_config) is not read: unknown, not a pass.
        out.push((
            "services-ssh-blank-passwords",
            Inconclusive,
            with(vec![dropbear(), sshd()]),
        ));
        // A server is started whose configuration the collector does not read: its
        // settings are unknown, the check neither passes nor is it not applicable.
        out.push((
            "services-ftp-anonymous",
            Inconclusive,
            with(vec![busybox_ftpd()]),
        ));
        out.push((
            "services-snmp-communities",
            Inconclusive,
            with(vec![snmpd_started()]),
        ));
        out.push(("services-web-server", Inconclusive, with(vec![goahead()])));
        out.push((
            "services-web-server",
            Inconclusive,
            with(vec![lighttpd_started(), lighttpd_safe(), goahead()]),
        ));
        // uhttpd listening for HTTP only; and for HTTPS too.
        out.push(("services-web-server", Fail, with(vec![uhttpd(false)])));
        out.push(("services-web-server", Pass, with(vec![uhttpd(true)])));
        // A shell left by an initramfs /init.
        out.push((
            "services-unauthenticated-shells",
            Fail,
            with(vec![init_shell()]),
        ));
        out
    }

    #[test]
    fn telnet_fails_at_the_line_that_starts_it() {
        let o = Telnet.evaluate(&with(weak()));
        assert_eq!(
            seen(&o),
            [
                (
                    "telnet server started with a shell instead of a login",
                    Severity::Critical,
                    (Some("/etc/init.d/S40telnetd"), Some(3))
                ),
                (
                    "telnet server started",
                    Severity::High,
                    (Some("/etc/inetd.conf"), Some(2))
                ),
            ]
        );
        assert_eq!(
            o.findings[0].evidence[0].observed,
            "/usr/sbin/in.telnetd -debug 23 -L /bin/sh (started by init-script)"
        );
        let o = Telnet.evaluate(&partial_with("services", NO_STARTUP, |_| {}));
        assert!(
            o.missing[0].contains("only part of the image"),
            "{:?}",
            o.missing
        );
    }

    #[test]
    fn shells_without_login_fail_per_interface() {
        let mut services = weak();
        services.push(init_shell());
        let o = UnauthenticatedShells.evaluate(&with(services));
        assert_eq!(
            seen(&o),
            [
                (
                    "a shell is offered on the telnet service without authentication",
                    Severity::Critical,
                    (Some("/etc/init.d/S40telnetd"), Some(3))
                ),
                (
                    "a shell is offered on console ttyS0 without authentication",
                    Severity::Critical,
                    (Some("/etc/inittab"), Some(2))
                ),
                (
                    "a shell is offered on the console without authentication",
                    Severity::Critical,
                    (Some("/init"), Some(14))
                ),
            ]
        );
        // telnetd running /bin/login is telnet's problem, not an unauthenticated shell.
        let login = service(
            "telnet",
            "/bin/busybox telnetd",
            &["-l", "/bin/login"],
            "init-script",
            &[
                ("tls", "no"),
                ("login_program", "/bin/login"),
                ("login", "program"),
            ],
            "/etc/init.d/telnet",
            9,
        );
        let facts = with(vec![login]);
        assert_eq!(
            UnauthenticatedShells.evaluate(&facts).verdict,
            Verdict::Pass
        );
        assert_eq!(Telnet.evaluate(&facts).verdict, Verdict::Fail);
    }

    #[test]
    fn ssh_with_blank_passwords_fails() {
        let o = SshBlankPasswords.evaluate(&with(weak()));
        assert_eq!(
            seen(&o),
            [(
                "SSH server allows blank-password logins (-B)",
                Severity::High,
                (Some("/etc/init.d/S50dropbear"), Some(1))
            )]
        );
        let o = SshBlankPasswords.evaluate(&with(clean()));
        assert_eq!(o.summary, "the SSH server refuses blank passwords");
        let o = SshBlankPasswords.evaluate(&with(vec![dnsmasq()]));
        assert_eq!(o.summary, "the image starts no SSH server");
        let o = SshBlankPasswords.evaluate(&with(vec![sshd()]));
        assert_eq!(
            o.missing,
            [
                "whether /usr/sbin/sshd -D (started by systemd) allows empty passwords: only dropbear's options are read (OpenSSH's PermitEmptyPasswords in sshd_config is not)"
            ]
        );
    }

    #[test]
    fn ftp_snmp_and_web_settings_fail_at_their_configuration() {
        let facts = with(weak());
        let o = FtpAnonymous.evaluate(&facts);
        assert_eq!(
            seen(&o),
            [(
                "FTP server allows anonymous login, anonymous upload, no TLS",
                Severity::High,
                (Some("/etc/vsftpd.conf"), Some(1))
            )]
        );
        let o = SnmpCommunities.evaluate(&facts);
        assert_eq!(
            seen(&o),
            [(
                "SNMP default communities public:ro, private:rw",
                Severity::Medium,
                (Some("/etc/snmp/snmpd.conf"), Some(7))
            )]
        );
        let o = WebServer.evaluate(&facts);
        assert_eq!(
            seen(&o),
            [(
                "web server: runs as root, plain HTTP only, directory listing, CGI through a shell",
                Severity::Medium,
                (Some("/etc/lighttpd/lighttpd.conf"), Some(3))
            )]
        );
        let o = WebServer.evaluate(&with(vec![uhttpd(false)]));
        assert_eq!(
            seen(&o),
            [(
                "web server: plain HTTP only",
                Severity::Medium,
                (Some("/etc/config/uhttpd"), Some(1))
            )]
        );
        let o = FtpAnonymous.evaluate(&with(vec![dnsmasq()]));
        assert_eq!(o.summary, "the image configures no FTP server");
        let o = SnmpCommunities.evaluate(&with(vec![dnsmasq()]));
        assert_eq!(o.summary, "the image configures no SNMP agent");
        let o = FtpAnonymous.evaluate(&with(vec![busybox_ftpd()]));
        assert_eq!(
            o.missing,
            [
                "anonymous access and TLS of ftpd -w /srv/ftp (started by init-script) at /etc/init.d/S70ftpd are unknown: no configuration of it was read"
            ]
        );
        let o = WebServer.evaluate(&with(vec![lighttpd_started(), lighttpd_safe(), goahead()]));
        assert_eq!(
            o.missing,
            [
                "the privileges, TLS, listings and CGI of /bin/goahead (started by init-script) at /etc/init.d/rcS are unknown: no configuration of it was read"
            ]
        );
        // An agent with SNMPv3 users only has no communities at all.
        let v3 = with(vec![config(
            "snmp",
            "snmpd",
            &[],
            "/etc/snmp/snmpd.conf",
            1,
        )]);
        assert_eq!(SnmpCommunities.evaluate(&v3).verdict, Verdict::Pass);
    }

    #[test]
    fn weak_wifi_fails_per_interface() {
        let o = Wifi.evaluate(&with(wifi_weak()));
        assert_eq!(
            seen(&o),
            [
                (
                    "Wi-Fi: WEP encryption",
                    Severity::Medium,
                    (Some("/etc/config/wireless"), Some(12))
                ),
                (
                    "Wi-Fi: static WPS PIN 12345670",
                    Severity::Medium,
                    (Some("/etc/config/wireless"), Some(20))
                ),
                (
                    "Wi-Fi: open network",
                    Severity::Medium,
                    (Some("/etc/config/wireless"), Some(28))
                ),
            ]
        );
        let o = Wifi.evaluate(&with(wifi_safe()));
        assert_eq!(o.summary, "Wi-Fi networks use modern security");
    }
}
