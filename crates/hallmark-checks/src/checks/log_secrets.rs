//! Secrets in logs (principle 10).

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::{Judge, path_of};

check! {
    /// Logs never receive passwords, keys or tokens.
    NoSecrets {
        id: "logging-no-secrets",
        title: "Scripts and programs do not write passwords, keys or tokens to logs",
        requirements: ["ECD-10.6"],
        severity: Medium,
        doc: "## What it checks\nThe shell scripts of the image for lines that log (`logger`, a redirection to `/var/log/...`, a log file or `/dev/kmsg`) a variable named like a secret (`$PASSWORD`, `$wifi_key`, `$PSK`, `$auth_token`). The programs of the image for message formats that print a secret (`PPPoE password:%s`, `%s vapIdx: %d, pwd: %s`); formats that build configuration lines, URLs or command lines are left out. A message format is a lower-confidence finding: the program prints the secret, but whether that message reaches a log is not known.\n\n## Why it matters\nLogs travel far: to syslog collectors, support engineers, tickets and diagnostic bundles. A password or Wi-Fi key written to a log is disclosed to everyone who handles it, and devices that logged SIP or LDAP credentials have turned routine support bundles into credential leaks.\n\n## Evidence\nThe script and line, the secret variable and where it is logged; or the program, the offset of the message format, and the format.\n\n## How to fix\nLog that an event happened (`user=alice result=failure`), never the submitted password, key or token; mask secrets (length and a short prefix at most). Compile debug messages that print secrets out of production builds, and add a build check that rejects formats such as `password=%s`.\n\n## Inconclusive when\nThe image has no shell scripts to examine (what compiled programs actually log needs a live test that scans exported logs), or no root filesystem was examined, or the view of it was incomplete.\n",
        evaluate: no_secrets,
    }
}

fn no_secrets(check: &NoSecrets, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "log-secrets", "scripts and programs that log") {
        return judge.finish(true, "");
    }
    for l in &facts.log_leaks {
        let path = path_of(&l.location);
        if l.kind == "format-string" {
            judge.fail(
                &l.location,
                Some(Severity::Low),
                format!("{path} has a message format that prints a secret ({})", l.secret),
                format!("format \"{}\"", l.excerpt),
                "the program prints the secret in a message; if the message reaches a log, console or support bundle, so does the secret (lower confidence: where the message goes is not known)",
                "Do not print secrets in messages; compile such debug output out of production builds.",
            );
        } else {
            judge.fail(
                &l.location,
                None,
                format!("{path} writes {} to {}", l.secret, l.sink),
                l.excerpt.clone(),
                "the secret is stored in the log and travels wherever the log goes",
                "Log that the event happened, never the secret; mask it if it must be identified.",
            );
        }
    }
    let scripts = facts.coverage("log-secrets").map_or(0, |c| c.examined);
    if scripts == 0 {
        judge.missing("the image has no shell scripts to examine; what its compiled programs log needs a live test that scans exported logs");
    }
    judge.finish(
        true,
        format!("{scripts} scripts examined, and the programs' message formats: no secret is passed to a log"),
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_line, not_run, seen};
    use hallmark_model::Location;
    use hallmark_model::Verdict;
    use hallmark_model::facts::LogLeak;

    fn with(scripts: u64, leaks: Vec<LogLeak>) -> Facts {
        facts_with("log-secrets", |f| {
            if let Some(c) = f.coverage.get_mut("log-secrets") {
                c.examined = scripts;
            }
            f.log_leaks = leaks;
        })
    }

    fn logged_password() -> LogLeak {
        LogLeak {
            kind: "script".into(),
            secret: "$PPP_PASS".into(),
            sink: "logger".into(),
            excerpt: "logger -t pppoe \"password $PPP_PASS\"".into(),
            location: image_line("/etc/init.d/pppoe", 2),
        }
    }

    fn debug_format() -> LogLeak {
        LogLeak {
            kind: "format-string".into(),
            secret: "pwd:%s".into(),
            sink: "message".into(),
            excerpt: "%s vapIdx: %d, pwd: %s".into(),
            location: Location::Image {
                image: "fw.bin".into(),
                chain: Vec::new(),
                path: Some("/usr/bin/httpd".into()),
                offset: Some(4096),
                line: None,
            },
        }
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let id = "logging-no-secrets";
        vec![
            (id, Fail, with(12, vec![logged_password()])),
            (id, Fail, with(12, vec![debug_format()])),
            (id, Pass, with(12, Vec::new())),
            // No scripts: what programs log needs a live test.
            (id, Inconclusive, with(0, Vec::new())),
            (id, Inconclusive, not_run("log-secrets")),
        ]
    }

    #[test]
    fn scripts_fail_and_formats_fail_with_lower_confidence() {
        let o = NoSecrets.evaluate(&with(12, vec![logged_password(), debug_format()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![
                (
                    "/etc/init.d/pppoe writes $PPP_PASS to logger",
                    Severity::Medium,
                    (Some("/etc/init.d/pppoe"), Some(2))
                ),
                (
                    "/usr/bin/httpd has a message format that prints a secret (pwd:%s)",
                    Severity::Low,
                    (Some("/usr/bin/httpd"), None)
                ),
            ]
        );
        let o = NoSecrets.evaluate(&with(12, Vec::new()));
        assert!(o.summary.starts_with("12 scripts examined"));
    }
}
