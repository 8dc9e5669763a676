//! `hallmark attest` (sign a report's conformance statement, or make a key pair) and
//! `hallmark verify` (check a signed statement).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use hallmark_catalog::Catalog;
use sha2::{Digest, Sha256};

use crate::text::{DIM, HEADING};

/// Largest key file read.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Arguments of `hallmark attest`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AttestArgs {
    #[command(subcommand)]
    command: Option<AttestCommand>,

    /// The JSON report to attest (`hallmark assess IMAGE --format json -o REPORT.json`).
    #[arg(required = true, value_name = "REPORT.json")]
    report: Option<PathBuf>,

    /// The private key (PKCS#8 PEM, from `hallmark attest keygen`).
    #[arg(long, value_name = "KEY", required = true)]
    key: Option<PathBuf>,

    /// Write the signed statement (a DSSE envelope) to this file instead of standard output.
    #[arg(short, long, value_name = "STATEMENT")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AttestCommand {
    /// Make an ed25519 key pair: the private key (PKCS#8 PEM, mode 0600) in KEYFILE and the
    /// public key (SubjectPublicKeyInfo PEM) in KEYFILE.pub. Neither may exist yet.
    Keygen {
        /// Where to write the private key.
        #[arg(short, long, value_name = "KEYFILE")]
        output: PathBuf,
    },
}

/// Arguments of `hallmark verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The signed statement (from `hallmark attest`).
    statement: PathBuf,

    /// The signer's public key (PEM, the `.pub` file `hallmark attest keygen` wrote).
    #[arg(long, value_name = "PUB")]
    key: PathBuf,

    /// The firmware image: its SHA-256 must be the statement's subject.
    #[arg(long, value_name = "IMAGE")]
    image: Option<PathBuf>,

    /// The catalogue version the statement must have been judged against (default: the
    /// version of the catalogue in use, built-in unless --catalog is given).
    #[arg(long, value_name = "V")]
    catalog_version: Option<String>,
}

/// SHA-256 of a file, hex, read in blocks.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(buffer.get(..n).unwrap_or_default());
    }
    Ok(hallmark_attest::hex(&hasher.finalize()))
}

/// Reads at most `limit` bytes of `path`, failing if it is longer.
fn read_bounded(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        anyhow::bail!("{what} {} is larger than {limit} bytes", path.display());
    }
    Ok(bytes)
}

fn read_key_text(path: &Path) -> anyhow::Result<String> {
    String::from_utf8(read_bounded(path, MAX_KEY_BYTES, "key file")?)
        .with_context(|| format!("key file {} is not PEM text", path.display()))
}

/// Creates `path` (which must not exist) with `mode` on Unix.
fn create_new(path: &Path, private: bool) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

/// Runs `hallmark attest`.
pub fn run(args: &AttestArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(AttestCommand::Keygen { output }) = &args.command {
        let key = hallmark_attest::generate_key()?;
        let public_path = {
            let mut name = output.as_os_str().to_owned();
            name.push(".pub");
            PathBuf::from(name)
        };
        if public_path.exists() {
            anyhow::bail!(
                "cannot create {} (it must not exist yet)",
                public_path.display()
            );
        }
        let private = hallmark_attest::private_key_pem(&key)?;
        create_new(output, true)?
            .write_all(private.as_bytes())
            .with_context(|| format!("cannot write {}", output.display()))?;
        let public = hallmark_attest::public_key_pem(&key.verifying_key())?;
        create_new(&public_path, false)?
            .write_all(public.as_bytes())
            .with_context(|| format!("cannot write {}", public_path.display()))?;
        writeln!(
            out,
            "wrote {} (private key, keep it secret) and {} (public key); key id {}",
            output.display(),
            public_path.display(),
            hallmark_attest::key_id(&key.verifying_key())
        )?;
        return Ok(());
    }
    let (Some(report), Some(key)) = (&args.report, &args.key) else {
        anyhow::bail!("attest needs REPORT.json and --key KEY (or the keygen subcommand)");
    };
    let key = hallmark_attest::read_private_key(&read_key_text(key)?)
        .with_context(|| format!("cannot use key {}", key.display()))?;
    let limit = u64::try_from(hallmark_attest::MAX_INPUT_BYTES).unwrap_or(u64::MAX);
    let bytes = read_bounded(report, limit, "report")?;
    let envelope = hallmark_attest::attest(&bytes, &key)
        .with_context(|| format!("cannot attest {}", report.display()))?;
    match &args.output {
        Some(path) => std::fs::write(path, &envelope)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => out.write_all(&envelope)?,
    }
    Ok(())
}

/// Runs `hallmark verify`. `Ok(Err(reason))` when the statement does not verify.
pub fn verify(
    catalog: &Catalog,
    args: &VerifyArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Result<(), String>> {
    let key = hallmark_attest::read_public_key(&read_key_text(&args.key)?)
        .with_context(|| format!("cannot use key {}", args.key.display()))?;
    let limit = u64::try_from(hallmark_attest::MAX_INPUT_BYTES).unwrap_or(u64::MAX);
    let bytes = read_bounded(&args.statement, limit, "statement")?;
    let statement = match hallmark_attest::verify(&bytes, &key) {
        Ok(statement) => statement,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let subject = statement.subject_sha256().unwrap_or_default().to_owned();
    if let Some(image) = &args.image {
        let actual = sha256_file(image)?;
        if actual != subject {
            return Ok(Err(format!(
                "the statement is about another image: its subject has SHA-256 {subject}, \
                 but {} has {actual}",
                image.display()
            )));
        }
    }
    let predicate = &statement.predicate;
    let expected = args
        .catalog_version
        .clone()
        .unwrap_or_else(|| catalog.edition.version.clone());
    if predicate.catalog.version != expected || predicate.catalog.id != catalog.edition.id {
        return Ok(Err(format!(
            "the statement was judged against catalogue {} {}, expected {} {expected}",
            predicate.catalog.id, predicate.catalog.version, catalog.edition.id
        )));
    }
    let name = statement.subject.first().map_or("?", |s| s.name.as_str());
    writeln!(
        out,
        "{HEADING}verified{HEADING:#}: signed by key {}",
        hallmark_attest::key_id(&key)
    )?;
    writeln!(
        out,
        "subject       {name} sha256:{subject}{}",
        if args.image.is_some() {
            " (matches the image)"
        } else {
            " (no --image given: digest not compared)"
        }
    )?;
    writeln!(
        out,
        "catalogue     {} {} ({})",
        predicate.catalog.id, predicate.catalog.version, predicate.catalog.status
    )?;
    writeln!(
        out,
        "tool          {} {}",
        predicate.tool.name, predicate.tool.version
    )?;
    writeln!(out, "report        sha256:{}", predicate.report.sha256)?;
    for input in &predicate.inputs {
        writeln!(
            out,
            "also from     {} sha256:{}",
            input.name,
            input.digest.get("sha256").map_or("?", String::as_str)
        )?;
    }
    let counts = &predicate.requirements_summary;
    writeln!(
        out,
        "assurance     {}/100 ({}% of the weight decided by evidence)",
        predicate.assurance.score, predicate.assurance.decided
    )?;
    writeln!(
        out,
        "requirements  {} pass, {} fail, {} inconclusive, {} not applicable",
        counts.pass, counts.fail, counts.inconclusive, counts.not_applicable
    )?;
    let principles: Vec<String> = predicate
        .principles
        .iter()
        .map(|p| format!("{} {}", p.number, p.verdict))
        .collect();
    writeln!(out, "{DIM}principles    {}{DIM:#}", principles.join(", "))?;
    Ok(Ok(()))
}
