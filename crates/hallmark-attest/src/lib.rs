//! Signed conformance statements.
//!
//! A conformance statement says, verifiably, what an assessment concluded about one firmware
//! image. It is an [in-toto Statement v1] whose subject is the image (its name and SHA-256,
//! from the report's provenance) and whose predicate ([`PREDICATE_TYPE`]) carries the
//! per-requirement verdicts, the assurance summary, the catalogue edition, the tool version and
//! the SHA-256 of the JSON report it was made from. The statement is wrapped in a [DSSE]
//! envelope signed with ed25519 over DSSE's pre-authentication encoding ([`pae`]).
//!
//! Keys are PEM files: the private key as PKCS#8 (`BEGIN PRIVATE KEY`), the public key as
//! SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`), the encodings of RFC 8410 that OpenSSL also
//! reads. A key's id ([`key_id`]) is the hex SHA-256 of its 32 raw public-key bytes.
//!
//! [in-toto Statement v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
//! [DSSE]: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
//!
//! ```
//! use hallmark_attest::{pae, generate_key, key_id};
//!
//! assert_eq!(pae("text/plain", b"hello"), b"DSSEv1 10 text/plain 5 hello");
//! let key = generate_key()?;
//! assert_eq!(key_id(&key.verifying_key()).len(), 64);
//! # Ok::<(), hallmark_attest::AttestError>(())
//! ```

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use hallmark_model::{Assurance, EvidenceKind, Report, Severity, Verdict, VerdictCounts};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Hallmark's conformance predicate type.
pub const PREDICATE_TYPE: &str = "https://hallmark.invalid/conformance/v1";
/// Largest envelope or report [`verify`] and [`attest`] accept.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Why a statement cannot be made or verified.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The system's random number generator failed.
    #[error("cannot generate a key: the system random number generator failed ({0})")]
    Random(String),
    /// A key file is not a PEM ed25519 key of the expected kind.
    #[error("not an ed25519 {kind} key in PEM ({detail})")]
    Key {
        /// `private` or `public`.
        kind: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("{what} is {size} bytes; the limit is {MAX_INPUT_BYTES} bytes")]
    TooLarge {
        /// What it is.
        what: &'static str,
        /// Its size.
        size: usize,
    },
    /// The report is not a Hallmark JSON report.
    #[error("not a Hallmark JSON report: {0}")]
    Report(String),
    /// The report names no firmware image with a digest.
    #[error("the report names no firmware image with a SHA-256 digest, so there is no subject")]
    NoSubject,
    /// The envelope is not a DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    Envelope(String),
    /// The envelope is not signed by the given key.
    #[error("signature check failed: {0}")]
    Signature(String),
    /// The signed payload is not a Hallmark conformance statement.
    #[error("the signed payload is not a Hallmark conformance statement: {0}")]
    Statement(String),
    /// JSON could not be written.
    #[error("cannot serialise JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A new random ed25519 key from the operating system's generator.
pub fn generate_key() -> Result<SigningKey, AttestError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AttestError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The private key as PKCS#8 v1 PEM (the seed only, as RFC 8410 shows it and OpenSSL writes
/// it; some readers refuse the v2 form that also carries the public key).
pub fn private_key_pem(key: &SigningKey) -> Result<String, AttestError> {
    let bytes = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| AttestError::Key {
            kind: "private",
            detail: e.to_string(),
        })
}

/// The public key as SubjectPublicKeyInfo PEM.
pub fn public_key_pem(key: &VerifyingKey) -> Result<String, AttestError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| AttestError::Key {
            kind: "public",
            detail: e.to_string(),
        })
}

/// Reads a PKCS#8 PEM private key.
pub fn read_private_key(pem: &str) -> Result<SigningKey, AttestError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| AttestError::Key {
        kind: "private",
        detail: e.to_string(),
    })
}

/// Reads a SubjectPublicKeyInfo PEM public key.
pub fn read_public_key(pem: &str) -> Result<VerifyingKey, AttestError> {
    VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| AttestError::Key {
        kind: "public",
        detail: e.to_string(),
    })
}

/// The key id: hex SHA-256 of the 32 raw public-key bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// DSSE's pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
/// where LEN is the byte length as ASCII decimal without leading zeros.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        payload
            .len()
            .saturating_add(payload_type.len())
            .saturating_add(32),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The payload's type ([`PAYLOAD_TYPE`]).
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload, base64 (standard alphabet, padded).
    pub payload: String,
    /// The signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The signing key's id ([`key_id`]).
    pub keyid: String,
    /// The ed25519 signature over the PAE of the payload, base64.
    pub sig: String,
}

/// An in-toto Statement v1 with Hallmark's conformance predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The firmware image.
    pub subject: Vec<Subject>,
    /// [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// What the assessment concluded.
    pub predicate: Conformance,
}

/// An artefact the statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// The file name.
    pub name: String,
    /// Digests by algorithm (`sha256`).
    pub digest: BTreeMap<String, String>,
}

/// Hallmark's conformance predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Conformance {
    /// The tool that assessed (`hallmark` and its version).
    pub tool: NameVersion,
    /// The catalogue edition judged against.
    pub catalog: CatalogEdition,
    /// The JSON report the statement was made from.
    pub report: ReportRef,
    /// Other inputs that informed the verdicts (the manufacturer's declaration), with digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Subject>,
    /// Overall assurance.
    pub assurance: Assurance,
    /// Requirement verdict counts.
    pub requirements_summary: VerdictCounts,
    /// Per-principle verdicts and assurance.
    pub principles: Vec<PrincipleVerdict>,
    /// Every requirement's verdict, in catalogue order.
    pub requirements: Vec<RequirementVerdict>,
}

/// A tool name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameVersion {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// The catalogue edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEdition {
    /// Catalogue id.
    pub id: String,
    /// Edition version.
    pub version: String,
    /// `proposed` or `official`.
    pub status: String,
}

/// The report a statement was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReportRef {
    /// SHA-256 of the report file, hex.
    pub sha256: String,
    /// The report's schema version.
    pub schema_version: String,
}

/// One principle's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipleVerdict {
    /// Principle number.
    pub number: u8,
    /// Rolled-up verdict.
    pub verdict: Verdict,
    /// Assurance over the principle.
    pub assurance: Assurance,
}

/// One requirement's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementVerdict {
    /// Requirement id.
    pub id: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its severity.
    pub severity: Severity,
}

/// The statement for the JSON report `report_bytes`.
pub fn statement(report_bytes: &[u8]) -> Result<Statement, AttestError> {
    if report_bytes.len() > MAX_INPUT_BYTES {
        return Err(AttestError::TooLarge {
            what: "the report",
            size: report_bytes.len(),
        });
    }
    let report: Report =
        serde_json::from_slice(report_bytes).map_err(|e| AttestError::Report(e.to_string()))?;
    let subject_of = |input: &hallmark_model::Input| {
        input.sha256.as_ref().map(|sha| Subject {
            name: file_name(&input.name),
            digest: BTreeMap::from([("sha256".to_owned(), sha.to_ascii_lowercase())]),
        })
    };
    let image = report
        .provenance
        .inputs
        .iter()
        .find(|i| i.kind == EvidenceKind::Firmware)
        .and_then(subject_of)
        .ok_or(AttestError::NoSubject)?;
    let provenance = &report.provenance;
    Ok(Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject: vec![image],
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate: Conformance {
            tool: NameVersion {
                name: provenance.tool.name.clone(),
                version: provenance.tool.version.clone(),
            },
            catalog: CatalogEdition {
                id: provenance.catalog.id.clone(),
                version: provenance.catalog.version.clone(),
                status: provenance.catalog.status.clone(),
            },
            report: ReportRef {
                sha256: hex(&Sha256::digest(report_bytes)),
                schema_version: report.schema_version.clone(),
            },
            inputs: provenance
                .inputs
                .iter()
                .filter(|i| i.kind != EvidenceKind::Firmware)
                .filter_map(subject_of)
                .collect(),
            assurance: report.summary.assurance,
            requirements_summary: report.summary.requirements,
            principles: report
                .summary
                .principles
                .iter()
                .map(|p| PrincipleVerdict {
                    number: p.number,
                    verdict: p.verdict,
                    assurance: p.assurance,
                })
                .collect(),
            requirements: report
                .requirements
                .iter()
                .map(|r| RequirementVerdict {
                    id: r.id.clone(),
                    verdict: r.verdict,
                    severity: r.severity,
                })
                .collect(),
        },
    })
}

/// The last path component of `name` (either separator), or `name` itself.
fn file_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .find(|part| !part.is_empty())
        .unwrap_or(name)
        .to_owned()
}

/// Signs `statement` into a DSSE envelope.
pub fn sign(statement: &Statement, key: &SigningKey) -> Result<Envelope, AttestError> {
    use ed25519_dalek::Signer;
    let payload = serde_json::to_vec(statement)?;
    let signature = key.sign(&pae(PAYLOAD_TYPE, &payload));
    Ok(Envelope {
        payload_type: PAYLOAD_TYPE.to_owned(),
        payload: STANDARD.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: STANDARD.encode(signature.to_bytes()),
        }],
    })
}

/// The signed statement for the JSON report `report_bytes`, as the bytes of its envelope
/// (pretty JSON with a final newline).
pub fn attest(report_bytes: &[u8], key: &SigningKey) -> Result<Vec<u8>, AttestError> {
    let envelope = sign(&statement(report_bytes)?, key)?;
    let mut bytes = serde_json::to_vec_pretty(&envelope)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Checks that `envelope_bytes` is a DSSE envelope signed by `key` (the signature's key id must
/// be `key`'s, and the ed25519 signature over the PAE must verify strictly), and returns the
/// Hallmark conformance statement it carries. Checks of the subject and catalogue against
/// expectations are the caller's.
pub fn verify(envelope_bytes: &[u8], key: &VerifyingKey) -> Result<Statement, AttestError> {
    if envelope_bytes.len() > MAX_INPUT_BYTES {
        return Err(AttestError::TooLarge {
            what: "the statement",
            size: envelope_bytes.len(),
        });
    }
    let envelope: Envelope =
        serde_json::from_slice(envelope_bytes).map_err(|e| AttestError::Envelope(e.to_string()))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(AttestError::Envelope(format!(
            "payloadType is {:?}, expected {PAYLOAD_TYPE:?}",
            envelope.payload_type
        )));
    }
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|e| AttestError::Envelope(format!("payload is not base64 ({e})")))?;
    let wanted = key_id(key);
    let [signature] = envelope.signatures.as_slice() else {
        return Err(AttestError::Envelope(format!(
            "expected exactly one signature, found {}",
            envelope.signatures.len()
        )));
    };
    if signature.keyid != wanted {
        return Err(AttestError::Signature(format!(
            "signed by key id {:?}, not by the given key ({wanted})",
            signature.keyid
        )));
    }
    let bytes = STANDARD
        .decode(&signature.sig)
        .map_err(|e| AttestError::Signature(format!("the signature is not base64 ({e})")))?;
    let bytes: [u8; 64] = bytes.as_slice().try_into().map_err(|_| {
        AttestError::Signature(format!(
            "an ed25519 signature is 64 bytes, this one {}",
            bytes.len()
        ))
    })?;
    key.verify_strict(
        &pae(&envelope.payload_type, &payload),
        &ed25519_dalek::Signature::from_bytes(&bytes),
    )
    .map_err(|_| {
        AttestError::Signature(
            "the signature does not match the payload: the statement was altered or signed by \
             another key"
                .to_owned(),
        )
    })?;
    let statement: Statement =
        serde_json::from_slice(&payload).map_err(|e| AttestError::Statement(e.to_string()))?;
    if statement.statement_type != STATEMENT_TYPE {
        return Err(AttestError::Statement(format!(
            "_type is {:?}, expected {STATEMENT_TYPE:?}",
            statement.statement_type
        )));
    }
    if statement.predicate_type != PREDICATE_TYPE {
        return Err(AttestError::Statement(format!(
            "predicateType is {:?}, expected {PREDICATE_TYPE:?}",
            statement.predicate_type
        )));
    }
    Ok(statement)
}

impl Statement {
    /// The subject's SHA-256, when it has one.
    pub fn subject_sha256(&self) -> Option<&str> {
        self.subject
            .first()
            .and_then(|s| s.digest.get("sha256"))
            .map(String::as_str)
    }
}

/// Lowercase hex.
pub use hallmark_model::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_follows_the_dsse_definition() {
        // The DSSE protocol's worked example.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
        // Lengths are in bytes, not characters.
        assert_eq!(
            pae("t", "é".as_bytes()),
            "DSSEv1 1 t 2 é".as_bytes().to_vec()
        );
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let key = generate_key().unwrap();
        let private = private_key_pem(&key).unwrap();
        let public = public_key_pem(&key.verifying_key()).unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // PKCS#8 v1 as RFC 8410 shows it: a fixed 16-byte header, then the 32-byte seed.
        let body: String = private
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body).unwrap();
        assert_eq!(der.len(), 48);
        assert_eq!(
            der[..16],
            [
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
                0x04, 0x20
            ]
        );
        assert_eq!(der[16..], key.to_bytes());
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(
            read_private_key(&private).unwrap().to_bytes(),
            key.to_bytes()
        );
        assert_eq!(read_public_key(&public).unwrap(), key.verifying_key());
        assert!(read_public_key(&private).is_err());
        assert!(read_private_key(&public).is_err());
        assert!(read_public_key("garbage").is_err());
        assert_ne!(generate_key().unwrap().to_bytes(), key.to_bytes());
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("examples/demo.tar.gz"), "demo.tar.gz");
        assert_eq!(file_name("C:\\fw\\a.bin"), "a.bin");
        assert_eq!(file_name("a.bin"), "a.bin");
        assert_eq!(file_name("dir/"), "dir");
        assert_eq!(file_name(""), "");
    }
}
