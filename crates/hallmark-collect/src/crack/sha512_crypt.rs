//! SHA-512-crypt (`$6$`, Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"), written for
//! testing many candidate passwords against one hash.
//!
//! The scheme hashes password P and salt S into a first digest A, derives two byte strings from
//! them (P', as long as the password, and S', as long as the salt), and then runs `rounds`
//! (5,000 by default) SHA-512 computations, each over the previous digest C with P' and S' in
//! a pattern that depends on the round number. Those rounds are nearly all the cost.
//!
//! When 64 + |S| + 2|P| is at most 111 bytes (a password of up to 15 characters with the
//! longest salt), every round is a single SHA-512 block, and the rounds of several candidates
//! can run side by side, one per vector lane ([`rounds`]): each candidate's eight kinds
//! of round block are prepared once (the bytes around C never change), so a round only places
//! C in its block and compresses. Longer passwords take the scalar path.
//!
//! Which vector width is used is decided at run time: 8 lanes with AVX-512, 4 with AVX2, and on
//! other x86-64 processors one lane (the same code, scalar). The vector code needs Rust 1.89 or
//! newer to build (`cfg(hallmark_simd)`, set by build.rs); with an older compiler every x86-64
//! processor takes the scalar code. Other architectures keep testing one candidate at a time
//! with `pwhash` (see [`super::scheme`]).
//!
//! A candidate matches when the hash this code computes is exactly the field as written, which
//! includes writing `rounds=N$` only with the value glibc would write (clamped to
//! 1,000..=999,999,999, no leading zeros): a field that glibc could not have produced matches
//! nothing, as before.

use sha2::{Digest, Sha512};

mod rounds;

/// The longest salt SHA-512-crypt reads.
pub(crate) const MAX_SALT: usize = 16;

/// Default rounds, and the range glibc clamps a `rounds=` value to.
pub(crate) const DEFAULT_ROUNDS: u32 = 5_000;
pub(crate) const MIN_ROUNDS: u32 = 1_000;
pub(crate) const MAX_ROUNDS: u32 = 999_999_999;

/// Largest message that fits one SHA-512 block with its padding (0x80 and a 16-byte length).
const ONE_BLOCK: usize = 111;

/// The crypt(3) base64 alphabet.
const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A parsed SHA-512-crypt hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sha512Crypt {
    salt: Vec<u8>,
    rounds: u32,
    /// The 86 encoded digest characters.
    encoded: Vec<u8>,
    /// Whether glibc would write the field's `rounds=` part (if any) as it is written.
    canonical: bool,
}

impl Sha512Crypt {
    /// A hash with `salt` (at most [`MAX_SALT`] bytes), the `rounds=` digits as written (or
    /// `None`) and the 86 encoded digest characters.
    pub(crate) fn new(salt: &[u8], rounds_text: Option<&str>, encoded: &str) -> Option<Self> {
        if salt.len() > MAX_SALT || encoded.len() != 86 {
            return None;
        }
        let (rounds, canonical) = match rounds_text {
            None => (DEFAULT_ROUNDS, true),
            Some(digits) => {
                let rounds = digits
                    .parse::<u64>()
                    .ok()?
                    .clamp(u64::from(MIN_ROUNDS), u64::from(MAX_ROUNDS));
                let rounds = u32::try_from(rounds).ok()?;
                (rounds, rounds.to_string() == digits)
            }
        };
        Some(Sha512Crypt {
            salt: salt.to_vec(),
            rounds,
            encoded: encoded.as_bytes().to_vec(),
            canonical,
        })
    }

    /// How many candidates [`Sha512Crypt::first_match`] tests together on this machine.
    pub(crate) fn width() -> usize {
        Engine::detect().width()
    }

    /// Whether `password` matches, one candidate on its own.
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        self.canonical && self.matches(&crypt_scalar(password, &self.salt, self.rounds))
    }

    /// The index of the first of `passwords` that matches.
    pub(crate) fn first_match(&self, passwords: &[&[u8]]) -> Option<usize> {
        self.first_match_with(Engine::detect(), passwords)
    }

    fn first_match_with(&self, engine: Engine, passwords: &[&[u8]]) -> Option<usize> {
        if !self.canonical {
            return None;
        }
        // Candidates that fit one block, in groups of the engine's width; the rest one by one.
        let fits = |p: &[u8]| 64 + self.salt.len() + 2 * p.len() <= ONE_BLOCK;
        let short: Vec<(usize, &[u8])> = passwords
            .iter()
            .enumerate()
            .filter(|(_, p)| fits(p))
            .map(|(i, p)| (i, *p))
            .collect();
        let mut best: Option<usize> = None;
        for group in short.chunks(engine.width().max(1)) {
            let prepared: Vec<Prepared> = group
                .iter()
                .map(|(_, p)| Prepared::new(p, &self.salt))
                .collect();
            let digests = engine.rounds(&prepared, self.rounds);
            if let Some(&(i, _)) = group
                .iter()
                .zip(&digests)
                .find(|(_, d)| self.matches(&words_to_bytes(d)))
                .map(|(g, _)| g)
            {
                best = Some(i);
                break;
            }
        }
        passwords
            .iter()
            .enumerate()
            .take(best.unwrap_or(passwords.len()))
            .filter(|(_, p)| !fits(p))
            .find(|(_, p)| self.matches(&crypt_scalar(p, &self.salt, self.rounds)))
            .map(|(i, _)| i)
            .or(best)
    }

    fn matches(&self, digest: &[u8; 64]) -> bool {
        encode(digest).as_slice() == self.encoded.as_slice()
    }
}

/// The whole scheme for one password, with `sha2`'s streaming interface (any length).
pub(crate) fn crypt_scalar(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 64] {
    let (a, p_bytes, s_bytes) = initial(password, salt);
    let mut c = a;
    for round in 0..rounds {
        let mut ctx = Sha512::new();
        if round & 1 == 1 {
            ctx.update(&p_bytes);
        } else {
            ctx.update(c);
        }
        if round % 3 != 0 {
            ctx.update(&s_bytes);
        }
        if round % 7 != 0 {
            ctx.update(&p_bytes);
        }
        if round & 1 == 1 {
            ctx.update(c);
        } else {
            ctx.update(&p_bytes);
        }
        c = ctx.finalize().into();
    }
    c
}

/// Digest A, P' and S': everything before the rounds.
fn initial(password: &[u8], salt: &[u8]) -> ([u8; 64], Vec<u8>, Vec<u8>) {
    let b: [u8; 64] = Sha512::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize()
        .into();
    let mut ctx = Sha512::new();
    ctx.update(password);
    ctx.update(salt);
    // Digest B once per 64 bytes of password, then as many of its bytes as are left over.
    let mut left = password.len();
    while left > 0 {
        let n = left.min(64);
        ctx.update(b.get(..n).unwrap_or_default());
        left -= n;
    }
    // Then one entry per bit of the password's length, lowest first: B for a 1, P for a 0.
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            ctx.update(b);
        } else {
            ctx.update(password);
        }
        bits >>= 1;
    }
    let a: [u8; 64] = ctx.finalize().into();

    let mut ctx = Sha512::new();
    for _ in 0..password.len() {
        ctx.update(password);
    }
    let p_bytes = repeat_to(&ctx.finalize(), password.len());
    let mut ctx = Sha512::new();
    for _ in 0..16 + usize::from(a[0]) {
        ctx.update(salt);
    }
    let s_bytes = repeat_to(&ctx.finalize(), salt.len());
    (a, p_bytes, s_bytes)
}

/// `len` bytes of `digest` repeated.
fn repeat_to(digest: &[u8], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// The 86-character crypt(3) encoding: 21 groups of three digest bytes, taken from three
/// places 21 apart in a rotating order, then the last byte; each least significant 6 bits
/// first.
fn encode(digest: &[u8; 64]) -> Vec<u8> {
    let byte = |i: usize| u32::from(digest.get(i).copied().unwrap_or(0));
    let mut out = Vec::with_capacity(86);
    let mut push = |mut value: u32, count: usize| {
        for _ in 0..count {
            out.push(
                CRYPT64
                    .get((value & 0x3f) as usize)
                    .copied()
                    .unwrap_or(b'.'),
            );
            value >>= 6;
        }
    };
    for k in 0..21 {
        let (x, y, z) = (k, k + 21, k + 42);
        let (first, second, third) = match k % 3 {
            0 => (x, y, z),
            1 => (y, z, x),
            _ => (z, x, y),
        };
        push((byte(first) << 16) | (byte(second) << 8) | byte(third), 4);
    }
    push(byte(63), 2);
    out
}

fn words_to_bytes(words: &[u64; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn bytes_to_words(bytes: &[u8; 128]) -> [u64; 16] {
    let mut out = [0u64; 16];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *word = u64::from_be_bytes(b);
    }
    out
}

/// The round's kind: bit 0 for an odd round, bit 1 when S' is hashed (the round is not a
/// multiple of 3), bit 2 when P' is hashed twice (not a multiple of 7).
fn kind(round: u32) -> usize {
    usize::from(round & 1 == 1)
        | (usize::from(round % 3 != 0) << 1)
        | (usize::from(round % 7 != 0) << 2)
}

/// One candidate ready for the rounds: digest A and its block for each kind of round.
#[derive(Debug, Clone)]
struct Prepared {
    a: [u64; 8],
    /// The padded block of each kind of round, with zeros where C goes.
    blocks: [[u64; 16]; 8],
    /// Where C starts in each kind's block, in bytes.
    offsets: [usize; 8],
}

impl Prepared {
    /// Word `j` of the block of rounds of kind `kind`.
    fn word(&self, kind: usize, j: usize) -> u64 {
        self.blocks
            .get(kind)
            .and_then(|b| b.get(j))
            .copied()
            .unwrap_or(0)
    }

    /// Where C starts in the block of rounds of kind `kind`, in bytes.
    fn offset(&self, kind: usize) -> u64 {
        self.offsets.get(kind).map_or(0, |&o| o as u64)
    }

    /// Word `j` of digest A.
    fn a_word(&self, j: usize) -> u64 {
        self.a.get(j).copied().unwrap_or(0)
    }

    /// `password` and `salt` must fit one block (64 + |S| + 2|P| at most 111 bytes).
    fn new(password: &[u8], salt: &[u8]) -> Prepared {
        let (a, p_bytes, s_bytes) = initial(password, salt);
        let mut blocks = [[0u64; 16]; 8];
        let mut offsets = [0usize; 8];
        for (kind, (block, offset)) in blocks.iter_mut().zip(&mut offsets).enumerate() {
            let odd = kind & 1 == 1;
            let mut message: Vec<u8> = Vec::with_capacity(128);
            if !odd {
                message.extend_from_slice(&[0; 64]);
            }
            let mut middle = Vec::new();
            if kind & 2 != 0 {
                middle.extend_from_slice(&s_bytes);
            }
            if kind & 4 != 0 {
                middle.extend_from_slice(&p_bytes);
            }
            if odd {
                message.extend_from_slice(&p_bytes);
                message.extend_from_slice(&middle);
                *offset = message.len();
                message.extend_from_slice(&[0; 64]);
            } else {
                message.extend_from_slice(&middle);
                message.extend_from_slice(&p_bytes);
            }
            let bits = (message.len() as u64) * 8;
            let mut padded = [0u8; 128];
            for (to, from) in padded.iter_mut().zip(&message) {
                *to = *from;
            }
            if let Some(b) = padded.get_mut(message.len()) {
                *b = 0x80;
            }
            if let Some(tail) = padded.get_mut(120..) {
                tail.copy_from_slice(&bits.to_be_bytes());
            }
            *block = bytes_to_words(&padded);
        }
        let mut a_words = [0u64; 8];
        for (word, chunk) in a_words.iter_mut().zip(a.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *word = u64::from_be_bytes(b);
        }
        Prepared {
            a: a_words,
            blocks,
            offsets,
        }
    }
}

/// How the rounds are computed on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// One lane: plain 64-bit code.
    Scalar,
    /// 4 lanes in 256-bit registers.
    #[cfg(all(target_arch = "x86_64", hallmark_simd))]
    Avx2,
    /// 8 lanes in 512-bit registers.
    #[cfg(all(target_arch = "x86_64", hallmark_simd))]
    Avx512,
}

impl Engine {
    fn detect() -> Engine {
        #[cfg(all(target_arch = "x86_64", hallmark_simd))]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Engine::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Engine::Avx2;
            }
        }
        Engine::Scalar
    }

    /// Whether this processor can run it.
    #[cfg(test)]
    fn available(self) -> bool {
        match self {
            Engine::Scalar => true,
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
        }
    }

    fn width(self) -> usize {
        match self {
            Engine::Scalar => 1,
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx2 => 4,
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx512 => 8,
        }
    }

    /// The final digests of `group` (at most [`Engine::width`] candidates).
    fn rounds(self, group: &[Prepared], rounds: u32) -> Vec<[u64; 8]> {
        match self {
            Engine::Scalar => rounds::scalar::rounds(group, rounds),
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx2 => {
                // SAFETY: `Engine::Avx2` comes only from `detect` (or tests that check
                // `available`), after the processor reported AVX2.
                #[allow(unsafe_code)]
                unsafe {
                    rounds::avx2::rounds(group, rounds)
                }
            }
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx512 => {
                // SAFETY: `Engine::Avx512` comes only from `detect` (or tests that check
                // `available`), after the processor reported AVX-512F.
                #[allow(unsafe_code)]
                unsafe {
                    rounds::avx512::rounds(group, rounds)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(field: &str) -> Sha512Crypt {
        let rest = field.strip_prefix("$6$").unwrap();
        let (rounds, rest) = match rest.strip_prefix("rounds=") {
            Some(r) => {
                let (digits, rest) = r.split_once('$').unwrap();
                (Some(digits), rest)
            }
            None => (None, rest),
        };
        let (salt, encoded) = rest.split_once('$').unwrap();
        Sha512Crypt::new(salt.as_bytes(), rounds, encoded).unwrap()
    }

    /// Every engine this machine can run.
    fn engines() -> Vec<Engine> {
        let all = [
            Engine::Scalar,
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx2,
            #[cfg(all(target_arch = "x86_64", hallmark_simd))]
            Engine::Avx512,
        ];
        all.into_iter().filter(|e| e.available()).collect()
    }

    /// The examples of Drepper's specification (salts longer than 16 characters are cut, and
    /// rounds below the minimum raised, as the expected strings show).
    #[test]
    fn specification_vectors() {
        let vectors = [
            (
                "$6$saltstring",
                "Hello world!",
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            ),
            (
                "$6$rounds=10000$saltstringsaltstring",
                "Hello world!",
                "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
            ),
            (
                "$6$rounds=5000$toolongsaltstring",
                "This is just a test",
                "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
            ),
            (
                "$6$rounds=1400$anotherlongsaltstring",
                "a very much longer text to encrypt.  This one even stretches over morethan one line.",
                "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
            ),
            (
                "$6$rounds=77777$short",
                "we have a short salt string but not a short password",
                "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0",
            ),
            (
                "$6$rounds=123456$asaltof16chars..",
                "a short string",
                "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1",
            ),
            (
                "$6$rounds=10$roundstoolow",
                "the minimum number is still observed",
                "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
            ),
        ];
        for (_setting, password, expected) in vectors {
            assert!(
                pwhash::sha512_crypt::verify(password, expected),
                "{expected}"
            );
            let hash = parse(expected);
            assert!(hash.verify(password.as_bytes()), "{expected}");
            for engine in engines() {
                let wrong = format!("{password}.");
                let candidates = [wrong.as_bytes(), password.as_bytes(), b"x"];
                assert_eq!(
                    hash.first_match_with(engine, &candidates),
                    Some(1),
                    "{engine:?} {expected}"
                );
            }
        }
    }

    /// A small deterministic generator (xorshift), so that failures reproduce.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn text(&mut self, len: usize, alphabet: &[u8]) -> Vec<u8> {
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    /// Random passwords (0 to 40 bytes, any byte but NUL), salts (0 to 16 characters) and
    /// rounds, against `pwhash`: every engine finds the same first match, at every position of
    /// a group, whether it fits one block or not.
    #[test]
    fn agrees_with_pwhash_on_random_inputs() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let bytes: Vec<u8> = (1..=255).collect();
        for case in 0..12 {
            let salt_len = if case < 2 {
                [0, 16][case]
            } else {
                random.below(17)
            };
            let salt = random.text(salt_len, CRYPT64);
            let salt = String::from_utf8(salt).unwrap();
            let rounds = 1000 + random.below(case % 3 * 4000 + 1) as u32;
            let passwords: Vec<Vec<u8>> = (0..10)
                .map(|i| {
                    let len = if i < 2 { [0, 40][i] } else { random.below(41) };
                    if i % 2 == 0 {
                        random.text(len, &bytes)
                    } else {
                        random.text(len, b"abcdefghijklmnopqrstuvwxyz0123456789")
                    }
                })
                .collect();
            let target = passwords[random.below(passwords.len())].clone();
            let field = pwhash::sha512_crypt::hash_with(
                pwhash::HashSetup {
                    salt: Some(&salt),
                    rounds: Some(rounds),
                },
                &target,
            )
            .unwrap();
            let hash = parse(&field);
            assert_eq!(hash.rounds, rounds);
            let refs: Vec<&[u8]> = passwords.iter().map(Vec::as_slice).collect();
            let expected = refs
                .iter()
                .position(|p| pwhash::sha512_crypt::verify(p, &field));
            assert!(expected.is_some());
            for p in &refs {
                assert_eq!(
                    hash.verify(p),
                    pwhash::sha512_crypt::verify(p, &field),
                    "{field} {p:?}"
                );
            }
            for engine in engines() {
                assert_eq!(
                    hash.first_match_with(engine, &refs),
                    expected,
                    "{engine:?} {field}"
                );
                // The same candidates shifted by one, so that the match moves between lanes.
                assert_eq!(
                    hash.first_match_with(engine, &refs[1..]),
                    refs[1..]
                        .iter()
                        .position(|p| pwhash::sha512_crypt::verify(p, &field)),
                    "{engine:?} {field}"
                );
            }
        }
    }

    #[test]
    fn fields_glibc_would_not_write_match_nothing() {
        let setup = |rounds| pwhash::HashSetup {
            salt: Some("saltsalt"),
            rounds: Some(rounds),
        };
        let good = pwhash::sha512_crypt::hash_with(setup(1000), "admin").unwrap();
        assert!(parse(&good).verify(b"admin"));
        // Rounds below the minimum compute as 1,000, but glibc would write `rounds=1000`.
        assert_eq!(
            pwhash::sha512_crypt::hash_with(setup(999), "admin").unwrap(),
            good
        );
        for field in [
            good.replace("rounds=1000$", "rounds=01000$"),
            good.replace("rounds=1000$", "rounds=999$"),
        ] {
            let hash = parse(&field);
            assert!(!pwhash::sha512_crypt::verify("admin", &field));
            assert!(!hash.verify(b"admin"));
            for engine in engines() {
                assert_eq!(hash.first_match_with(engine, &[b"admin"]), None);
            }
        }
    }

    /// The cost of one test on each engine:
    /// `cargo test --release -p hallmark-collect sha512_crypt_speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, for information only"]
    fn sha512_crypt_speed() {
        let field = "$6$OperSalt0001$2nVtmIr2oxDYkZ/xCVIceDucN6sQyHlEhxmYG.4ZmHNbe8vmoiZ8EbeAzgCKmlhmsgQ8UI9VE3ViE7P6340HD/";
        let hash = parse(field);
        let words: Vec<String> = (0..64).map(|i| format!("candidate{i}")).collect();
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        let start = std::time::Instant::now();
        for w in &words[..16] {
            assert!(!pwhash::sha512_crypt::verify(w, field));
        }
        println!(
            "pwhash: {:.3} ms a test",
            start.elapsed().as_secs_f64() * 1e3 / 16.0
        );
        let start = std::time::Instant::now();
        for w in &refs[..16] {
            assert!(!hash.matches(&crypt_scalar(w, &hash.salt, hash.rounds)));
        }
        println!(
            "streaming scalar: {:.3} ms a test",
            start.elapsed().as_secs_f64() * 1e3 / 16.0
        );
        for engine in engines() {
            let start = std::time::Instant::now();
            assert_eq!(hash.first_match_with(engine, &refs), None);
            println!(
                "{engine:?}: {:.3} ms a test",
                start.elapsed().as_secs_f64() * 1e3 / refs.len() as f64
            );
        }
    }
}
