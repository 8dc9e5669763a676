//! Keeping secrets out of facts: excerpts of scripts and configuration are shown in reports.

/// `text` with the password of every `scheme://user:password@host` URL replaced by `***`.
pub(crate) fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let authority_start = at.saturating_add(3);
        let (head, tail) = rest.split_at(authority_start.min(rest.len()));
        out.push_str(head);
        // The authority ends at the path, a blank, a quote or the end.
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .unwrap_or(tail.len());
        let authority = tail.get(..end).unwrap_or("");
        match authority.rfind('@') {
            Some(at_sign) => {
                let userinfo = authority.get(..at_sign).unwrap_or("");
                let host = authority.get(at_sign..).unwrap_or("");
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_in_urls_only() {
        assert_eq!(
            mask_url_credentials(
                "wget -O /tmp/f \"http://admin:Upd4te!2024@u.example.invalid/x\" && mtd write /tmp/f firmware"
            ),
            "wget -O /tmp/f \"http://admin:***@u.example.invalid/x\" && mtd write /tmp/f firmware"
        );
        assert_eq!(
            mask_url_credentials("ftp://anon@h/ and https://h:8443/p?a=b@c"),
            "ftp://anon@h/ and https://h:8443/p?a=b@c"
        );
        assert_eq!(mask_url_credentials("://:@"), "://:***@");
        assert_eq!(mask_url_credentials("x://"), "x://");
    }
}
