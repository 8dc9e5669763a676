//! Web interface input handling (principle 8).

use hallmark_model::Outcome;
use hallmark_model::facts::Facts;

use super::check;
use crate::util::Judge;

check! {
    /// No web handler passes request input to a command interpreter.
    CommandInjection {
        id: "web-command-injection",
        title: "Web handlers do not pass request input to a command interpreter",
        requirements: ["ECD-8.6", "ECD-4.6"],
        severity: High,
        doc: "## What it checks\nThe web request handlers in the image (CGI programs and page scripts in shell, PHP and Lua under `cgi-bin` and the web roots): whether request input (the query string, form fields, headers, the request body) reaches `eval`, `sh -c`, `system()`, `os.execute` and the like without being reduced to safe characters first. The analysis follows input through variable assignments line by line.\n\n## Why it matters\nCommand injection in a web handler gives whoever can reach the web interface a shell on the device, usually as root: it is one of the most exploited flaws in routers, cameras and NAS devices (botnets spread through such handlers).\n\n## Evidence\nThe handler, the line, the input and the variables it passed through, and the interpreter it reached.\n\n## How to fix\nDo not build command lines from request input. Call the program directly with an argument list (no shell), validate input against a strict allow-list (for example an IP address pattern) before any use, and quote or escape what must reach a shell (`escapeshellarg`).\n\n## Inconclusive when\nNo root filesystem was examined, or some handlers could not be analysed (compiled CGI programs, other script languages): their names are listed.\n",
        evaluate: command_injection,
    }
}

fn command_injection(check: &CommandInjection, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "web", "web request handlers") {
        return judge.finish(true, "");
    }
    for i in &facts.injections {
        let via = if i.via.is_empty() {
            String::new()
        } else {
            format!(" via {}", i.via.join(" -> "))
        };
        judge.fail(
            &i.location,
            None,
            format!("{} reaches {} in a {} web handler", i.input, i.sink, i.language),
            format!("{}{via} -> {}: {}", i.input, i.sink, i.excerpt),
            "whoever can send this request can run commands on the device",
            "Call the program without a shell, with an argument list; validate the input against a strict allow-list first.",
        );
    }
    if let Some(notes) = facts.coverage("web").map(|c| &c.notes) {
        for note in notes {
            judge.missing(note.clone());
        }
    }
    let examined = facts.coverage("web").map_or(0, |c| c.examined);
    judge.finish(
        examined > 0,
        if examined > 0 {
            format!("{examined} web handler scripts analysed; none passes request input to a command interpreter")
        } else {
            "the image has no web handler scripts (no cgi-bin, no shell, PHP or Lua pages under a web root)".to_owned()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{facts_with, image_location};
    use hallmark_model::Verdict;
    use hallmark_model::facts::{CommandInjection as Fact, CoverageStatus};

    fn injection() -> Fact {
        Fact {
            language: "shell".into(),
            input: "QUERY_STRING".into(),
            via: vec!["ip".into()],
            sink: "eval".into(),
            excerpt: "eval \"ping -c 1 $ip\"".into(),
            location: image_location("/www/cgi-bin/ping.cgi"),
        }
    }

    #[test]
    fn verdicts() {
        // Fail: a flow, with where and how.
        let facts = facts_with("web", |f| f.injections.push(injection()));
        let o = CommandInjection.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1);
        assert!(o.findings[0].title.contains("QUERY_STRING reaches eval"));
        assert!(o.findings[0].evidence[0].observed.contains("via ip"));

        // Pass: handlers analysed, no flow.
        let o = CommandInjection.evaluate(&facts_with("web", |_| {}));
        assert_eq!(o.verdict, Verdict::Pass, "{o:?}");

        // Not applicable: no handlers at all (the fact says why).
        let facts = facts_with("web", |f| {
            f.coverage.get_mut("web").unwrap().examined = 0;
        });
        assert_eq!(
            CommandInjection.evaluate(&facts).verdict,
            Verdict::NotApplicable
        );

        // Inconclusive: compiled handlers not analysed, or nothing examined.
        let facts = facts_with("web", |f| {
            let c = f.coverage.get_mut("web").unwrap();
            c.status = CoverageStatus::Partial;
            c.notes
                .push("1 compiled CGI programs were not analysed: /www/cgi-bin/a.cgi".into());
        });
        let o = CommandInjection.evaluate(&facts);
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing.iter().any(|m| m.contains("compiled")));
        assert_eq!(
            CommandInjection.evaluate(&Facts::default()).verdict,
            Verdict::Inconclusive
        );
    }
}
