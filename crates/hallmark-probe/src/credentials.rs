//! Credential lists: the bundled defaults and user-supplied files in the same format.

use crate::ProbeError;

/// One credential to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The service it is for (`telnet`, `ssh`, `ftp`, `http`, `mqtt`, `snmp`), or `*`.
    pub service: String,
    /// The user name; empty for SNMP communities.
    pub user: String,
    /// The password or community.
    pub secret: String,
    /// Where it comes from.
    pub source: String,
}

impl Credential {
    /// Whether this credential is for `service` (`*` covers every login service but SNMP,
    /// whose communities are not passwords).
    pub fn applies_to(&self, service: &str) -> bool {
        self.service == service || (self.service == "*" && service != "snmp")
    }
}

/// The bundled list (`data/credentials.txt`).
pub const BUNDLED: &str = include_str!("../data/credentials.txt");

/// Parses a list: `SERVICE USER SECRET SOURCE...` per line, `#` comments, `-` for no user,
/// `<empty>` for an empty secret. `origin` names the list in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Credential>, ProbeError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(service), Some(user), Some(secret)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(ProbeError::Credentials {
                origin: origin.to_owned(),
                line: n.saturating_add(1),
                reason: "expected SERVICE USER SECRET [SOURCE...]".into(),
            });
        };
        if !matches!(
            service,
            "*" | "telnet" | "ssh" | "ftp" | "http" | "mqtt" | "snmp"
        ) {
            return Err(ProbeError::Credentials {
                origin: origin.to_owned(),
                line: n.saturating_add(1),
                reason: format!("unknown service {service:?}"),
            });
        }
        let source: Vec<&str> = fields.collect();
        out.push(Credential {
            service: service.to_owned(),
            user: if user == "-" {
                String::new()
            } else {
                user.to_owned()
            },
            secret: if secret == "<empty>" {
                String::new()
            } else {
                secret.to_owned()
            },
            source: if source.is_empty() {
                origin.to_owned()
            } else {
                source.join(" ")
            },
        });
    }
    Ok(out)
}

/// The bundled list, parsed.
pub fn bundled() -> Vec<Credential> {
    parse(BUNDLED, "bundled list").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_parses_and_starts_with_the_likeliest() {
        let list = bundled();
        assert!(list.len() >= 10);
        let first = &list[0];
        assert_eq!(
            (first.user.as_str(), first.secret.as_str()),
            ("admin", "admin")
        );
        assert!(first.applies_to("telnet") && !first.applies_to("snmp"));
        let snmp: Vec<&str> = list
            .iter()
            .filter(|c| c.applies_to("snmp"))
            .map(|c| c.secret.as_str())
            .collect();
        assert_eq!(snmp, ["public", "private", "community"]);
        assert!(list.iter().any(|c| c.secret.is_empty()));
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = parse("# c\ntelnet admin\n", "f.txt").unwrap_err();
        assert!(err.to_string().contains("f.txt:2"), "{err}");
        assert!(parse("smtp a b\n", "f").is_err());
    }
}
