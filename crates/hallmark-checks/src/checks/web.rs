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
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_line, not_run, partial_with};
    use hallmark_model::Verdict;
    use hallmark_model::facts::CommandInjection as Fact;

    fn injection() -> Fact {
        Fact {
            language: "shell".into(),
            input: "QUERY_STRING".into(),
            via: vec!["ip".into()],
            sink: "eval".into(),
            excerpt: "eval \"ping -c 1 $ip\"".into(),
            location: image_line("/www/cgi-bin/ping.cgi", 5),
        }
    }

    /// Three handler scripts analysed, one flow from the query string to `eval`.
    fn flow() -> Facts {
        facts_with("web", |f| {
            f.coverage.get_mut("web").unwrap().examined = 3;
            f.injections.push(injection());
        })
    }

    /// Three handler scripts analysed, no flow.
    fn clean() -> Facts {
        facts_with("web", |f| f.coverage.get_mut("web").unwrap().examined = 3)
    }

    /// A root filesystem without web handlers (the fact says why it does not apply).
    fn no_handlers() -> Facts {
        facts_with("web", |f| f.coverage.get_mut("web").unwrap().examined = 0)
    }

    /// Scripts analysed without a flow, but compiled CGI programs could not be.
    fn compiled() -> Facts {
        partial_with(
            "web",
            "1 compiled CGI programs were not analysed: /www/cgi-bin/a.cgi",
            |f| f.coverage.get_mut("web").unwrap().examined = 2,
        )
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let id = "web-command-injection";
        vec![
            (id, Fail, flow()),
            (id, Pass, clean()),
            (id, NotApplicable, no_handlers()),
            (id, Inconclusive, compiled()),
            (id, Inconclusive, not_run("web")),
        ]
    }

    #[test]
    fn verdicts() {
        // Fail: a flow, with where and how.
        let o = CommandInjection.evaluate(&flow());
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.findings.len(), 1);
        assert!(o.findings[0].title.contains("QUERY_STRING reaches eval"));
        assert!(o.findings[0].evidence[0].observed.contains("via ip"));
        assert_eq!(
            crate::util::path_of(&o.findings[0].evidence[0].location),
            "/www/cgi-bin/ping.cgi"
        );

        // Pass: handlers analysed, no flow.
        let o = CommandInjection.evaluate(&clean());
        assert_eq!(o.verdict, Verdict::Pass, "{o:?}");
        assert!(o.summary.starts_with("3 web handler scripts analysed"));

        // Not applicable: no handlers at all (the fact says why).
        let o = CommandInjection.evaluate(&no_handlers());
        assert_eq!(o.verdict, Verdict::NotApplicable);
        assert!(o.summary.contains("no web handler scripts"));

        // Inconclusive: compiled handlers not analysed, or nothing examined.
        let o = CommandInjection.evaluate(&compiled());
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing.iter().any(|m| m.contains("compiled")));
        assert_eq!(
            CommandInjection.evaluate(&Facts::default()).verdict,
            Verdict::Inconclusive
        );
    }
}
