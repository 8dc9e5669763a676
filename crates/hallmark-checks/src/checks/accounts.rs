//! Accounts and passwords (principle 2).

use hallmark_model::facts::{Account, Crack, Facts, Password};
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

const NO_LOGIN_SHELLS: &[&str] = &[
    "/bin/false",
    "/sbin/nologin",
    "/usr/sbin/nologin",
    "/usr/bin/false",
    "/bin/nologin",
];

fn can_log_in(account: &Account) -> bool {
    account
        .shell
        .as_deref()
        .is_none_or(|s| !NO_LOGIN_SHELLS.contains(&s))
}

/// Accounts needs the accounts collector to have run over a root filesystem with at least
/// one account; returns `None` (and records what is missing) otherwise.
fn accounts<'f>(judge: &mut Judge<'_>, facts: &'f Facts) -> Option<&'f [Account]> {
    if !judge.needs(facts, "accounts", "local accounts") {
        return None;
    }
    if facts.accounts.is_empty() {
        judge.missing("local accounts: the image holds no passwd or shadow file");
        return None;
    }
    Some(&facts.accounts)
}

check! {
    /// No account logs in without a password.
    EmptyPasswords {
        id: "accounts-empty-passwords",
        title: "No account can log in without a password",
        requirements: ["ECD-2.1", "ECD-2.2"],
        severity: High,
        doc: "## What it checks\nThat no account in the image's passwd, shadow or backup copies has an empty password field while it has a login shell.\n\n## Why it matters\nAn empty password lets anyone who reaches a login prompt (console, telnet, SSH with blank passwords allowed, web UI using system accounts) in without knowing anything: the same on every unit.\n\n## Evidence\nEach account line with an empty password field, with its file and line.\n\n## How to fix\nShip accounts locked (`*` or `!` in the password field) and have the owner set a unique password at first use, or generate a unique per-device password at manufacture. Remove unused accounts.\n\n## Inconclusive when\nNo root filesystem was examined, unpacking was incomplete, or the image has no account files.\n",
        evaluate: empty_passwords,
    }
}

fn empty_passwords(check: &EmptyPasswords, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(accounts) = accounts(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    for a in accounts
        .iter()
        .filter(|a| a.password == Password::Empty && can_log_in(a))
    {
        let severity = if a.uid == Some(0) {
            Severity::Critical
        } else {
            Severity::High
        };
        judge.fail(
            &a.location,
            Some(severity),
            format!("account '{}' has an empty password", a.name),
            format!("{}: empty password field (uid {})", a.name, a.uid.map(|u| u.to_string()).unwrap_or_else(|| "?".into())),
            "anyone can log in as this account without a password",
            "Lock the account (`*` in the password field) or set a unique per-device password; remove it if unused.",
        );
    }
    judge.finish(
        true,
        format!(
            "all {} accounts have a password or are locked",
            accounts.len()
        ),
    )
}

check! {
    /// No password is a known default or dictionary word.
    DefaultPasswords {
        id: "accounts-default-passwords",
        title: "No account uses a default or guessable password",
        requirements: ["ECD-2.1", "ECD-2.3"],
        severity: Critical,
        doc: "## What it checks\nEvery password hash in the image is tested against Hallmark's bundled dictionary. By default each hash is tested against the likely candidates: the account's own name and its common variants, empty-looking words, every vendor default and botnet-list password, and the most common passwords (about 350). `--crack full` adds the rest of the dictionary: common passwords and keyboard and digit patterns (about 3,300 in all).\n\n## Why it matters\nA password baked into the firmware is the same on every unit shipped; a default or common one is in every attacker's first list (this is how botnets such as Mirai spread).\n\n## Evidence\nThe account, its hash scheme and the password that matched, with the file and line of the hash.\n\n## How to fix\nDo not ship passwords in the image: ship accounts locked and require a unique password at first use, or provision a unique random password per device at manufacture (printed on the label). Reject known-weak passwords when users set them.\n\n## Inconclusive when\nNo account files were examined, or some hashes could not be tested (unsupported scheme, or the cracking budget ran out before every candidate of the chosen depth was tried; `--crack-budget` raises it).\n",
        evaluate: default_passwords,
    }
}

fn default_passwords(check: &DefaultPasswords, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(accounts) = accounts(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let mut tested = 0usize;
    let mut all_full = true;
    for a in accounts {
        let (scheme, crack) = match &a.password {
            Password::Hash { scheme, crack, .. } => (scheme, crack),
            Password::Unrecognised { .. } => {
                judge.missing(format!(
                    "the password field of '{}' is not a known hash format (a plaintext password or a vendor format) and could not be tested",
                    a.name
                ));
                continue;
            }
            Password::Empty | Password::Locked { .. } => continue,
        };
        match crack {
            Crack::Found { password, source } => judge.fail(
                &a.location,
                Some(if a.uid == Some(0) { Severity::Critical } else { Severity::High }),
                format!("account '{}' has the guessable password '{password}'", a.name),
                format!("{scheme:?} hash of '{password}' ({source})"),
                "the password is in public default-password lists and is the same on every unit",
                "Remove the password from the image: lock the account and require a unique password at first use, or provision a unique random password per device.",
            ),
            Crack::NotFound { full, .. } => {
                tested = tested.saturating_add(1);
                all_full &= *full;
            }
            Crack::BudgetExhausted { tried } => judge.missing(format!(
                "the password of '{}' was tested against only {tried} candidates before the budget ran out",
                a.name
            )),
            Crack::Unsupported => judge.missing(format!("the {scheme:?} hash of '{}' could not be tested", a.name)),
        }
    }
    let depth = if all_full {
        "the whole dictionary of default, common and pattern passwords"
    } else {
        "the likely candidates (vendor defaults, botnet lists, user-name variants, the most common passwords; `--crack full` tries the whole dictionary)"
    };
    judge.finish(true, format!("{tested} password hashes resisted {depth}"))
}

check! {
    /// Only root has uid 0.
    SingleRoot {
        id: "accounts-single-root",
        title: "Only one account has administrator rights (uid 0)",
        requirements: ["ECD-2.2", "ECD-2.6"],
        severity: Medium,
        doc: "## What it checks\nThat exactly one account (root) has user id 0.\n\n## Why it matters\nA second uid-0 account is a classic hidden or backdoor account: it has full control, is easily overlooked when passwords are changed, and is often a vendor support login.\n\n## Evidence\nEach extra account with uid 0, with its file and line.\n\n## How to fix\nRemove extra uid-0 accounts. Give support and service accounts their own unprivileged uid and grant only the rights they need.\n\n## Inconclusive when\nNo account files were examined.\n",
        evaluate: single_root,
    }
}

fn single_root(check: &SingleRoot, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(accounts) = accounts(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    for a in accounts
        .iter()
        .filter(|a| a.uid == Some(0) && a.name != "root")
    {
        let file = crate::util::path_of(&a.location);
        if seen.iter().any(|(n, f)| *n == a.name && *f == file) {
            continue;
        }
        judge.fail(
            a.passwd_location.as_ref().unwrap_or(&a.location),
            None,
            format!("account '{}' has uid 0", a.name),
            format!("{}: uid 0", a.name),
            "a second administrator account is a hidden way in with full control",
            "Remove the account or give it an unprivileged uid with only the rights it needs.",
        );
        seen.push((a.name.clone(), file));
    }
    judge.finish(true, "only root has uid 0")
}

check! {
    /// Password hashes use a strong scheme.
    StrongHashes {
        id: "accounts-strong-hashes",
        title: "Password hashes use a strong, slow scheme",
        requirements: ["ECD-2.3", "ECD-3.3"],
        severity: Medium,
        doc: "## What it checks\nThat stored password hashes use SHA-512-crypt, SHA-256-crypt, bcrypt or yescrypt, not traditional DES crypt or MD5-crypt.\n\n## Why it matters\nDES crypt uses only the first 8 characters and both DES and MD5-crypt are fast enough to brute-force on a laptop; anyone with the image can recover such passwords offline.\n\n## Evidence\nEach account with a weak scheme, with its file and line.\n\n## How to fix\nConfigure the password tools to write yescrypt or SHA-512-crypt (e.g. BusyBox `CONFIG_FEATURE_DEFAULT_PASSWD_ALGO=\"sha512\"`, `ENCRYPT_METHOD SHA512` in login.defs) and regenerate the stored hashes; better, ship no hashes at all.\n\n## Inconclusive when\nNo account files were examined, or a password field is in no known hash format (a plaintext password or a vendor scheme: which one needs the manufacturer).\n",
        evaluate: strong_hashes,
    }
}

fn strong_hashes(check: &StrongHashes, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    let Some(accounts) = accounts(&mut judge, facts) else {
        return judge.finish(true, "");
    };
    let mut hashes = 0usize;
    for a in accounts {
        if let Password::Unrecognised { .. } = &a.password {
            judge.missing(format!(
                "the password field of '{}' is not a known hash format (a plaintext password or a vendor scheme)",
                a.name
            ));
        }
        let Password::Hash { scheme, .. } = &a.password else {
            continue;
        };
        hashes = hashes.saturating_add(1);
        if scheme.is_weak() {
            judge.fail(
                &a.location,
                None,
                format!("account '{}' has a weak {scheme:?} password hash", a.name),
                format!("{scheme:?}-crypt hash"),
                "this scheme can be brute-forced quickly by anyone holding the image",
                "Store yescrypt or SHA-512-crypt hashes, or ship the account locked.",
            );
        }
    }
    judge.finish(
        hashes > 0,
        if hashes > 0 {
            format!("all {hashes} password hashes use strong schemes")
        } else {
            "the image stores no password hashes".to_owned()
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
        Fixture, UNPACK_LIMIT, facts_with, image_line, image_location, not_run, partial_with,
        path_line,
    };
    use hallmark_model::Verdict;
    use hallmark_model::facts::HashScheme;

    pub(crate) fn account(name: &str, uid: u32, password: Password) -> Account {
        Account {
            name: name.into(),
            uid: Some(uid),
            gid: Some(uid),
            shell: Some("/bin/sh".into()),
            password,
            location: image_location("/etc/shadow"),
            passwd_location: None,
            groups: Vec::new(),
        }
    }

    /// An account as the collector records a passwd entry whose password is in the shadow
    /// file: located at the shadow line, with the passwd line beside it.
    fn shadowed(name: &str, uid: u32, shell: &str, password: Password, line: u32) -> Account {
        Account {
            shell: Some(shell.into()),
            location: image_line("/etc/shadow", line),
            passwd_location: Some(image_line("/etc/passwd", line)),
            ..account(name, uid, password)
        }
    }

    fn md5(crack: Crack) -> Password {
        Password::Hash {
            scheme: HashScheme::Md5,
            hash: "$1$x$y".into(),
            crack,
        }
    }

    fn sha512_resisting(full: bool) -> Password {
        Password::Hash {
            scheme: HashScheme::Sha512,
            hash: "$6$a$b".into(),
            crack: Crack::NotFound { tried: 3000, full },
        }
    }

    fn locked(field: &str) -> Password {
        Password::Locked {
            field: field.into(),
        }
    }

    /// root with a strong hash no candidate matched; a locked system account; an account
    /// with an empty password but no login shell.
    fn good() -> Facts {
        facts_with("accounts", |f| {
            f.accounts = vec![
                account("root", 0, sha512_resisting(true)),
                account("daemon", 1, locked("*")),
                Account {
                    shell: Some("/sbin/nologin".into()),
                    ..account("ftp", 55, Password::Empty)
                },
            ];
        })
    }

    /// root's MD5 hash is `admin`; guest has an empty password; support is a second uid 0.
    fn bad() -> Facts {
        facts_with("accounts", |f| {
            f.accounts = vec![
                shadowed(
                    "root",
                    0,
                    "/bin/ash",
                    md5(Crack::Found {
                        password: "admin".into(),
                        source: "vendor default".into(),
                    }),
                    1,
                ),
                shadowed("guest", 1001, "/bin/ash", Password::Empty, 2),
                shadowed("support", 0, "/bin/ash", locked("!"), 3),
            ];
        })
    }

    /// The cracking budget ran out on root's hash.
    fn budget() -> Facts {
        facts_with("accounts", |f| {
            f.accounts = vec![account(
                "root",
                0,
                md5(Crack::BudgetExhausted { tried: 10 }),
            )];
        })
    }

    /// root's passwd field is neither a hash nor locked (`root:admin:0:0:...`): a plaintext
    /// password a vendor login compares as is, or a vendor format; it cannot be tested.
    fn unrecognised() -> Facts {
        facts_with("accounts", |f| {
            f.accounts = vec![
                Account {
                    location: image_line("/etc/passwd", 1),
                    ..account(
                        "root",
                        0,
                        Password::Unrecognised {
                            field: "admin".into(),
                        },
                    )
                },
                account("admin", 1000, sha512_resisting(true)),
            ];
        })
    }

    /// Every account locked: no password hash at all.
    fn all_locked() -> Facts {
        facts_with("accounts", |f| {
            f.accounts = vec![
                account("root", 0, locked("*")),
                account("nobody", 65534, locked("*")),
            ];
        })
    }

    /// The collector ran over a root filesystem without passwd or shadow files.
    fn no_account_files() -> Facts {
        facts_with("accounts", |_| {})
    }

    /// A strong-hash account seen through an incompletely unpacked image.
    fn partial() -> Facts {
        partial_with("accounts", UNPACK_LIMIT, |f| {
            f.accounts = vec![account("root", 0, sha512_resisting(true))];
        })
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let mut out = Vec::new();
        for id in [
            "accounts-empty-passwords",
            "accounts-default-passwords",
            "accounts-single-root",
            "accounts-strong-hashes",
        ] {
            out.push((id, Fail, bad()));
            out.push((id, Pass, good()));
            out.push((id, Inconclusive, not_run("accounts")));
            out.push((id, Inconclusive, no_account_files()));
            out.push((id, Inconclusive, partial()));
        }
        out.push(("accounts-default-passwords", Inconclusive, budget()));
        out.push(("accounts-default-passwords", Inconclusive, unrecognised()));
        out.push(("accounts-strong-hashes", Inconclusive, unrecognised()));
        out.push(("accounts-strong-hashes", NotApplicable, all_locked()));
        out
    }

    #[test]
    fn pass_fail_and_inconclusive() {
        let none = Facts::default();
        for check in [
            &EmptyPasswords as &dyn Check,
            &DefaultPasswords,
            &SingleRoot,
            &StrongHashes,
        ] {
            assert_eq!(
                check.evaluate(&none).verdict,
                Verdict::Inconclusive,
                "{}",
                check.id()
            );
        }
        let good = good();
        for check in [
            &EmptyPasswords as &dyn Check,
            &DefaultPasswords,
            &SingleRoot,
            &StrongHashes,
        ] {
            assert_eq!(
                check.evaluate(&good).verdict,
                Verdict::Pass,
                "{}",
                check.id()
            );
        }
        let bad = bad();
        for check in [
            &EmptyPasswords as &dyn Check,
            &DefaultPasswords,
            &SingleRoot,
            &StrongHashes,
        ] {
            let outcome = check.evaluate(&bad);
            assert_eq!(outcome.verdict, Verdict::Fail, "{}", check.id());
            assert_eq!(outcome.findings.len(), 1, "{}", check.id());
        }
        assert_eq!(
            DefaultPasswords.evaluate(&budget()).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn findings_name_the_account_and_where_it_is() {
        let bad = bad();
        let o = EmptyPasswords.evaluate(&bad);
        let f = &o.findings[0];
        assert_eq!(f.title, "account 'guest' has an empty password");
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/etc/shadow"), Some(2))
        );

        let o = DefaultPasswords.evaluate(&bad);
        let f = &o.findings[0];
        assert_eq!(f.title, "account 'root' has the guessable password 'admin'");
        assert_eq!(f.severity, Severity::Critical, "root's is critical");
        assert!(f.evidence[0].observed.contains("vendor default"));
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/etc/shadow"), Some(1))
        );

        // The extra uid 0 is where its passwd entry says so.
        let o = SingleRoot.evaluate(&bad);
        let f = &o.findings[0];
        assert_eq!(f.title, "account 'support' has uid 0");
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/etc/passwd"), Some(3))
        );

        let o = StrongHashes.evaluate(&bad);
        let f = &o.findings[0];
        assert_eq!(f.title, "account 'root' has a weak Md5 password hash");
        assert_eq!(
            path_line(&f.evidence[0].location),
            (Some("/etc/shadow"), Some(1))
        );
    }

    #[test]
    fn what_is_missing_and_what_passes_say_why() {
        let o = EmptyPasswords.evaluate(&no_account_files());
        assert!(o.missing.iter().any(|m| m.contains("no passwd or shadow")));
        let o = SingleRoot.evaluate(&partial());
        assert!(
            o.missing
                .iter()
                .any(|m| m.contains("only part of the image"))
        );
        let o = DefaultPasswords.evaluate(&budget());
        assert!(o.missing.iter().any(|m| m.contains("only 10 candidates")));
        let o = DefaultPasswords.evaluate(&good());
        assert!(o.summary.contains("whole dictionary"), "{}", o.summary);
        let likely = facts_with("accounts", |f| {
            f.accounts = vec![account("root", 0, sha512_resisting(false))];
        });
        let o = DefaultPasswords.evaluate(&likely);
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(o.summary.contains("likely candidates"), "{}", o.summary);
        let unsupported = facts_with("accounts", |f| {
            f.accounts = vec![account(
                "root",
                0,
                Password::Hash {
                    scheme: HashScheme::Other,
                    hash: "$md5$rounds=904$x$y".into(),
                    crack: Crack::Unsupported,
                },
            )];
        });
        let o = DefaultPasswords.evaluate(&unsupported);
        assert_eq!(o.verdict, Verdict::Inconclusive);
        assert!(o.missing.iter().any(|m| m.contains("could not be tested")));
        let o = DefaultPasswords.evaluate(&unrecognised());
        assert_eq!(
            o.missing,
            [
                "the password field of 'root' is not a known hash format (a plaintext password or a vendor format) and could not be tested"
            ]
        );
        let o = StrongHashes.evaluate(&all_locked());
        assert_eq!(o.summary, "the image stores no password hashes");
        // A second copy of the same uid-0 entry (a backup file) is one finding per file.
        let twice = facts_with("accounts", |f| {
            f.accounts = vec![
                shadowed("support", 0, "/bin/sh", locked("!"), 3),
                shadowed("support", 0, "/bin/sh", locked("!"), 3),
            ];
        });
        assert_eq!(SingleRoot.evaluate(&twice).findings.len(), 1);
    }
}
