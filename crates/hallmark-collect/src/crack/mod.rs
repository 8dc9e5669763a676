//! Testing password hashes against a bundled dictionary of likely passwords, within a CPU
//! budget.
//!
//! Candidates for a hash of user `u`, most likely first, without repeats:
//! 1. the user name itself (`user name`), then the empty password and empty-looking words
//!    (`empty-looking`: `""`, a space, `none`, `null`, ...);
//! 2. variants of the user name (`user name variant`: case changes, `u` + digits such as `u1`,
//!    `u123`, `u!`, the name doubled or reversed);
//! 3. the bundled dictionary (`data/passwords.txt`) in file order: vendor defaults first, then
//!    lists from IoT botnets, then common passwords and patterns, each with the source its
//!    section or line gives.
//!
//! **Depth.** At [`Depth::Likely`] (the default) a hash is tested against the *likely*
//! candidates: the user name and its common variants, the empty-looking words, every vendor
//! default and botnet entry, and the few most common passwords (about 350 in all, the entries
//! above the dictionary's `#= extended` marker). That is what "no universal default
//! credentials" asks about, and it keeps a slow hash (SHA-512-crypt: about 0.8 ms a test, or
//! 0.16 ms with eight at a time on AVX-512; see [`sha512_crypt`]) to a fraction of a second.
//! [`Depth::Full`] adds the rest of the user-name variants and the dictionary's common
//! passwords and keyboard and digit patterns (about 3,300 in all).
//!
//! For DES, which reads only the first 8 characters, candidates that agree on those are tried
//! once.
//!
//! **Budget.** [`Options::crack_budget`](crate::Options) counts cost units (about one
//! MD5-crypt computation each; per-scheme weights in [`scheme`]). Hashes are taken cheapest
//! whole-dictionary cost first; each gets at most an equal share of what is left, so the cheap
//! hashes are tested in full and one costly hash (bcrypt, yescrypt) cannot starve the rest;
//! what a hash does not use (it was cracked early) passes to the next. A hash whose share runs
//! out before the dictionary does is `BudgetExhausted`.
//!
//! **Threads.** One hash's candidates are split between up to four threads (in whole batches
//! when the scheme tests several candidates at once); the result is the first matching
//! candidate in list order whichever thread or lane finds it, and `tried` counts the candidates
//! up to and including it, so results depend neither on scheduling nor on the vector width.
//! Budget shares are counted in the per-scheme units whatever the machine's speed.

mod dictionary;
pub(crate) mod scheme;
mod sha512_crypt;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use hallmark_model::facts::Crack;

pub(crate) use scheme::Hash;

/// One hash to crack, with the user name it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job<'a> {
    /// The hash.
    pub(crate) hash: &'a Hash,
    /// The account's user name (the first candidates derive from it).
    pub(crate) user: &'a str,
}

/// One candidate password and why it is tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) password: Cow<'static, str>,
    pub(crate) source: Cow<'static, str>,
}

/// Most threads one hash is split between.
const MAX_THREADS: usize = 4;

/// Words people (and vendors) use for "no password".
const EMPTY_LOOKING: &[&str] = &[
    "",
    " ",
    "none",
    "null",
    "(none)",
    "<none>",
    "blank",
    "<blank>",
    "empty",
    "nopass",
    "nopassword",
    "no",
    "-",
];

/// How far down the candidate list each hash is tested.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Depth {
    /// The likely candidates: user-name variants, vendor defaults, botnet lists and the most
    /// common passwords (about 350).
    #[default]
    Likely,
    /// Every candidate (about 3,300).
    Full,
}

/// Suffixes appended to the user name, the likely ones first (the rest only at
/// [`Depth::Full`]).
const USER_SUFFIXES: &[&str] = &[
    "1", "123", "1234", "12345", "123456", "!", "@123", "12", "0", "00", "01", "2", "@", "#", "1!",
    "123!", "2020", "2021", "2022", "2023", "2024", "2025", "99", "007", "111", "888",
];

/// How many of [`USER_SUFFIXES`] are tried at [`Depth::Likely`], on the name as it is.
const LIKELY_USER_SUFFIXES: usize = 7;

/// The candidates for user `user` at `depth`, most likely first, without repeats.
pub(crate) fn candidates(user: &str, depth: Depth) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut push = |password: Cow<'static, str>, source: Cow<'static, str>| {
        if seen.insert(password.to_string()) {
            out.push(Candidate { password, source });
        }
    };
    let user_owned = |s: String| Cow::Owned(s);
    if !user.is_empty() {
        push(user_owned(user.to_owned()), Cow::Borrowed("user name"));
    }
    for word in EMPTY_LOOKING {
        push(Cow::Borrowed(word), Cow::Borrowed("empty-looking"));
    }
    if !user.is_empty() {
        let variant = || Cow::Borrowed("user name variant");
        let lower = user.to_lowercase();
        let mut capital = lower.clone();
        if let Some(first) = capital.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        for v in [lower.clone(), user.to_uppercase(), capital.clone()] {
            push(user_owned(v), variant());
        }
        for suffix in USER_SUFFIXES.iter().take(LIKELY_USER_SUFFIXES) {
            push(user_owned(format!("{user}{suffix}")), variant());
        }
        push(user_owned(format!("{user}{user}")), variant());
        push(user_owned(user.chars().rev().collect()), variant());
        if depth == Depth::Full {
            for base in [user, lower.as_str(), capital.as_str()] {
                for suffix in USER_SUFFIXES {
                    push(user_owned(format!("{base}{suffix}")), variant());
                }
            }
        }
    }
    for entry in dictionary::entries() {
        if depth == Depth::Likely && !entry.likely {
            break;
        }
        let source = match entry.tag {
            Some(tag) => Cow::Owned(format!("{} ({tag})", entry.section)),
            None => Cow::Borrowed(entry.section),
        };
        push(Cow::Borrowed(entry.password), source);
    }
    out
}

/// Tests every job to `depth` within `budget` units; one [`Crack`] per job, in job order.
pub(crate) fn crack_all(jobs: &[Job<'_>], depth: Depth, budget: u64) -> Vec<Crack> {
    let mut results: Vec<Option<Crack>> = vec![None; jobs.len()];
    // Candidate lists are built once per distinct user name.
    let mut lists: Vec<(String, Vec<Candidate>)> = Vec::new();
    let mut plan: Vec<(usize, usize, u64)> = Vec::new(); // (job, list, full cost)
    for (i, job) in jobs.iter().enumerate() {
        if !job.hash.is_testable() {
            let result = if job.hash.is_too_costly() {
                Crack::BudgetExhausted { tried: 0 }
            } else {
                Crack::Unsupported
            };
            if let Some(r) = results.get_mut(i) {
                *r = Some(result);
            }
            continue;
        }
        let key = if job.hash.truncates_at_8() {
            format!("des:{}", job.user)
        } else {
            job.user.to_owned()
        };
        let list = match lists.iter().position(|(k, _)| *k == key) {
            Some(l) => l,
            None => {
                let mut c = candidates(job.user, depth);
                if job.hash.truncates_at_8() {
                    c = first_8_distinct(c);
                }
                lists.push((key, c));
                lists.len() - 1
            }
        };
        let n = lists.get(list).map_or(0, |(_, c)| c.len());
        let cost = job
            .hash
            .weight
            .saturating_mul(u64::try_from(n).unwrap_or(u64::MAX));
        plan.push((i, list, cost));
    }
    plan.sort_by_key(|&(i, _, cost)| (cost, i));

    let mut remaining = budget;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS);
    let planned = plan.len();
    for (done, &(i, list, _)) in plan.iter().enumerate() {
        let (Some(job), Some((_, candidates))) = (jobs.get(i), lists.get(list)) else {
            continue;
        };
        let left = u64::try_from(planned - done).unwrap_or(1).max(1);
        let share = remaining / left;
        let affordable = usize::try_from(share / job.hash.weight.max(1)).unwrap_or(usize::MAX);
        let limit = candidates.len().min(affordable);
        let found = first_match(job.hash, candidates, limit, threads);
        let tried = found.map_or(limit, |f| f + 1);
        remaining = remaining.saturating_sub(
            job.hash
                .weight
                .saturating_mul(u64::try_from(tried).unwrap_or(u64::MAX)),
        );
        let tried_u64 = u64::try_from(tried).unwrap_or(u64::MAX);
        let crack = match found.and_then(|f| candidates.get(f)) {
            Some(c) => Crack::Found {
                password: c.password.to_string(),
                source: c.source.to_string(),
            },
            None if limit < candidates.len() => Crack::BudgetExhausted { tried: tried_u64 },
            None => Crack::NotFound {
                tried: tried_u64,
                full: depth == Depth::Full,
            },
        };
        if let Some(r) = results.get_mut(i) {
            *r = Some(crack);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Crack::Unsupported))
        .collect()
}

/// Keeps the first candidate of each distinct 8-character prefix (DES ignores the rest).
fn first_8_distinct(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut seen = HashSet::new();
    candidates
        .into_iter()
        .filter(|c| {
            let bytes = c.password.as_bytes();
            seen.insert(bytes.get(..8).unwrap_or(bytes).to_vec())
        })
        .collect()
}

/// The index of the first of `candidates[..limit]` that matches `hash`.
fn first_match(
    hash: &Hash,
    candidates: &[Candidate],
    limit: usize,
    threads: usize,
) -> Option<usize> {
    let candidates = candidates.get(..limit).unwrap_or(candidates);
    // Chunks of roughly equal cost: many cheap candidates, or a few costly ones; whole batches
    // when the hash tests several candidates at once.
    let width = hash.batch_width().max(1);
    let chunk = usize::try_from(64 / hash.weight.max(1))
        .unwrap_or(1)
        .max(1)
        .next_multiple_of(width);
    let threads = if candidates.len() <= chunk {
        1
    } else {
        threads
    };
    let next = AtomicUsize::new(0);
    let found = AtomicUsize::new(usize::MAX);
    let work = || {
        let mut passwords: Vec<&str> = Vec::with_capacity(width);
        loop {
            let start = next.fetch_add(chunk, Ordering::Relaxed);
            if start >= candidates.len() || start >= found.load(Ordering::Relaxed) {
                break;
            }
            let end = start.saturating_add(chunk).min(candidates.len());
            let batches = candidates.get(start..end).unwrap_or_default().chunks(width);
            for (batch, first) in batches.zip((start..).step_by(width)) {
                if first >= found.load(Ordering::Relaxed) {
                    break;
                }
                passwords.clear();
                passwords.extend(batch.iter().map(|c| c.password.as_ref()));
                if let Some(offset) = hash.first_match(&passwords) {
                    found.fetch_min(first + offset, Ordering::Relaxed);
                    break;
                }
            }
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                // A thread that cannot be started leaves its share to the others.
                let _ = std::thread::Builder::new().spawn_scoped(scope, work);
            }
            work();
        });
    }
    let found = found.into_inner();
    (found != usize::MAX).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crack(hash: &str, user: &str, budget: u64) -> Crack {
        let hash = Hash::parse(hash).unwrap();
        crack_all(&[Job { hash: &hash, user }], Depth::Full, budget).remove(0)
    }

    fn found(password: &str, source: &str) -> Crack {
        Crack::Found {
            password: password.into(),
            source: source.into(),
        }
    }

    #[test]
    fn user_name_comes_first_then_empty_looking_then_variants() {
        let c = candidates("support", Depth::Full);
        assert_eq!(c[0].password, "support");
        assert_eq!(c[0].source, "user name");
        assert_eq!(c[1].password, "");
        assert_eq!(c[1].source, "empty-looking");
        assert!(
            c.iter()
                .any(|c| c.password == "support123" && c.source == "user name variant")
        );
        assert!(
            c.iter()
                .any(|c| c.password == "Support" && c.source == "user name variant")
        );
        let unique: HashSet<&str> = c.iter().map(|c| c.password.as_ref()).collect();
        assert_eq!(unique.len(), c.len());
        assert!(c.len() > 2000, "{} candidates", c.len());
    }

    #[test]
    fn planted_router_findings() {
        // router-armhf /etc/shadow: root MD5-crypt of 'admin'.
        assert!(matches!(
            crack("$1$fwT3st01$gn4KuuLCKMxebePE90.h5/", "root", 200_000),
            Crack::Found { password, .. } if password == "admin"
        ));
        // support: SHA-512-crypt of its own user name.
        assert_eq!(
            crack(
                "$6$Sup0rtSalt01$00YnQBZuUMxQktlXIGQS.hKr0Cp26IQ85qx56uKsKUXDXVnTKSyIfpHgK9DgOOfYxnf5rmFilgVX/GO6G.vCm1",
                "support",
                200_000
            ),
            found("support", "user name")
        );
        // /etc/passwd.bak: admin DES of '1234'.
        assert!(matches!(
            crack("abWMpd9uBwR.g", "admin", 200_000),
            Crack::Found { password, .. } if password == "1234"
        ));
        // tplink-mt7628 /etc/passwd.bak: admin MD5-crypt with an empty salt, '1234'.
        assert!(matches!(
            crack("$1$$iC.dUsGpxNNJGeOm1dFio/", "admin", 200_000),
            Crack::Found { password, .. } if password == "1234"
        ));
    }

    #[test]
    fn random_password_is_not_found_and_counts_what_was_tried() {
        // router-armhf operator: SHA-512-crypt of a random 48-hex-character password.
        let operator = "$6$OperSalt0001$2nVtmIr2oxDYkZ/xCVIceDucN6sQyHlEhxmYG.4ZmHNbe8vmoiZ8EbeAzgCKmlhmsgQ8UI9VE3ViE7P6340HD/";
        let n = candidates("operator", Depth::Full).len() as u64;
        assert_eq!(
            crack(operator, "operator", u64::MAX),
            Crack::NotFound {
                tried: n,
                full: true
            }
        );
    }

    #[test]
    fn budget_runs_out_and_is_shared_cheapest_first() {
        let operator = Hash::parse("$6$OperSalt0001$2nVtmIr2oxDYkZ/xCVIceDucN6sQyHlEhxmYG.4ZmHNbe8vmoiZ8EbeAzgCKmlhmsgQ8UI9VE3ViE7P6340HD/").unwrap();
        let root = Hash::parse("$1$fwT3st01$gn4KuuLCKMxebePE90.h5/").unwrap();
        // 600 units: root (weight 1) gets its share of 300 first and is cracked cheaply; the
        // rest (about 590 units) goes to operator (weight 8): 73 candidates.
        let got = crack_all(
            &[
                Job {
                    hash: &operator,
                    user: "operator",
                },
                Job {
                    hash: &root,
                    user: "root",
                },
            ],
            Depth::Full,
            600,
        );
        let Crack::Found { password, .. } = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(password, "admin");
        let root_tried = candidates("root", Depth::Full)
            .iter()
            .position(|c| c.password == "admin")
            .unwrap() as u64
            + 1;
        assert_eq!(
            got[0],
            Crack::BudgetExhausted {
                tried: (600 - root_tried) / 8
            }
        );
    }

    #[test]
    fn likely_depth_is_a_prefix_of_full_with_every_vendor_default() {
        let likely = candidates("operator", Depth::Likely);
        let full = candidates("operator", Depth::Full);
        assert!((300..=400).contains(&likely.len()), "{}", likely.len());
        assert!(full.len() > 3000, "{}", full.len());
        for c in &likely {
            assert!(full.iter().any(|f| f == c), "{c:?}");
        }
        for source in [
            "user name",
            "empty-looking",
            "user name variant",
            "IoT botnet list",
        ] {
            assert!(likely.iter().any(|c| c.source == source), "{source}");
        }
        for entry in dictionary::entries() {
            if entry.section == "vendor default" {
                assert!(likely.iter().any(|c| c.password == entry.password));
            }
        }
        // The router-armhf negative control resists the likely candidates too, and the whole
        // likely list is tried.
        let operator = "$6$OperSalt0001$2nVtmIr2oxDYkZ/xCVIceDucN6sQyHlEhxmYG.4ZmHNbe8vmoiZ8EbeAzgCKmlhmsgQ8UI9VE3ViE7P6340HD/";
        let hash = Hash::parse(operator).unwrap();
        let job = Job {
            hash: &hash,
            user: "operator",
        };
        assert_eq!(
            crack_all(&[job], Depth::Likely, 100_000),
            vec![Crack::NotFound {
                tried: likely.len() as u64,
                full: false
            }]
        );
        // A default found at both depths comes from the same place.
        assert_eq!(
            crack_all(
                &[Job {
                    hash: &Hash::parse("$1$fwT3st01$gn4KuuLCKMxebePE90.h5/").unwrap(),
                    user: "root"
                }],
                Depth::Likely,
                100_000
            ),
            vec![crack("$1$fwT3st01$gn4KuuLCKMxebePE90.h5/", "root", 100_000)]
        );
    }

    #[test]
    fn zero_budget_tries_nothing() {
        assert_eq!(
            crack("$1$fwT3st01$gn4KuuLCKMxebePE90.h5/", "root", 0),
            Crack::BudgetExhausted { tried: 0 }
        );
    }

    #[test]
    fn yescrypt_too_costly_to_test_is_budget_exhausted() {
        let params = yescrypt::Params::new(yescrypt::Mode::default(), 1 << 20, 32, 1)
            .unwrap()
            .to_string();
        let hash = format!("$y${params}$saltsaltsalt$U62UNtFULLoZSPt9qSEZqY8g/l5n/NBPLdCw.YzrTVA");
        assert_eq!(
            crack(&hash, "root", u64::MAX),
            Crack::BudgetExhausted { tried: 0 }
        );
    }

    #[test]
    fn unsupported_schemes_say_so() {
        assert_eq!(
            crack("_J9..CCCCLRIK9125gxc", "root", 1000),
            Crack::Unsupported
        );
    }

    #[test]
    fn results_do_not_depend_on_threads() {
        let hash = Hash::parse("$1$12345678$hj0uLpdidjPhbMMZeno8X/").unwrap();
        let c = candidates("user2", Depth::Full);
        let one = first_match(&hash, &c, c.len(), 1);
        for threads in 2..=4 {
            assert_eq!(first_match(&hash, &c, c.len(), threads), one);
        }
        assert_eq!(c[one.unwrap()].password, "secret");
    }

    #[test]
    fn des_tries_each_8_character_prefix_once() {
        let c = first_8_distinct(candidates("admin", Depth::Full));
        let mut prefixes = HashSet::new();
        for candidate in &c {
            let b = candidate.password.as_bytes();
            assert!(prefixes.insert(b.get(..8).unwrap_or(b)));
        }
    }
}
