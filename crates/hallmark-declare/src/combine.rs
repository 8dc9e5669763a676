//! The combination rules: folding a declaration into an assessment report.
//!
//! 1. Test evidence outranks claims. A requirement that tests FAILED stays FAIL; a claim of
//!    `supported` or `not_applicable` for it, or a stated fact that asserts it (default
//!    credentials made unique, secure boot enforced, debug ports closed, recovery
//!    authenticated), is a *contradiction*: a finding of the `declaration-contradiction`
//!    outcome. A requirement that tests PASSED or found NOT_APPLICABLE keeps that verdict.
//! 2. Where the tests left a requirement INCONCLUSIVE, a manufacturer's own statement that it
//!    is not met (a `not_supported` claim, or a stated fact such as an open serial console)
//!    FAILS it, with a finding of the `declaration-stated-gaps` outcome.
//! 3. The requirements in [`DECLARATION_DECIDED`] take their verdict from the declared
//!    *content*, validated by the `declaration-*` outcomes listed there: any content that shows
//!    the requirement unmet (a support end date in the past, updates applied only by hand)
//!    FAILS it; content that is present and valid for every aspect PASSES it (unless a firmware
//!    check of a requirement that is not declaration-only could not decide); otherwise it stays
//!    INCONCLUSIVE and `missing` names each absent field. A bare claim counts for nothing here.
//! 4. Any other claim leaves the verdict alone: the reason says what was claimed.

use std::collections::{BTreeMap, BTreeSet};

use hallmark_catalog::{Catalog, Diagnostic};
use hallmark_model::{
    Evidence, EvidenceKind, Finding, Input, Location, Outcome, Report, Severity, Verdict,
};
use sha2::{Digest, Sha256};

use crate::parse::{security_txt_expiry, security_txt_has_contact};
use crate::types::{
    ClaimStatus, CredentialMethod, DebugPorts, Field, KeyStorage, SecureBoot, SerialConsole,
    UpdateMode,
};
use crate::{Date, Declaration, DeclarationError};

/// Requirements whose verdict can come from declared content, each with the declaration
/// outcomes that together decide it. These are the requirements the catalogue says are decided
/// from the manufacturer's documents (ECD-1.7, ECD-4.5, ECD-9.5: declaration evidence only;
/// ECD-5.4: "mainly manufacturer artefacts"; ECD-1.6: the admin guide's update policy "is taken
/// as a declaration"), and which no firmware check decides on its own.
pub const DECLARATION_DECIDED: &[(&str, &[&str])] = &[
    ("ECD-1.6", &[UPDATE_POLICY]),
    ("ECD-1.7", &[SUPPORT_PERIOD, DISCLOSURE]),
    ("ECD-4.5", &[PHYSICAL]),
    ("ECD-5.4", &[SUPPORT_PERIOD, SBOM]),
    ("ECD-9.5", &[DEPLOYMENT]),
];

const SUPPORT_PERIOD: &str = "declaration-support-period";
const DISCLOSURE: &str = "declaration-vulnerability-disclosure";
const SBOM: &str = "declaration-sbom-advisories";
const UPDATE_POLICY: &str = "declaration-update-policy";
const PHYSICAL: &str = "declaration-physical-protection";
const DEPLOYMENT: &str = "declaration-deployment-docs";
const CONTRADICTION: &str = "declaration-contradiction";
const STATED_GAPS: &str = "declaration-stated-gaps";

/// Most firmware evidence items quoted in one contradiction finding.
const MAX_TESTED_EVIDENCE: usize = 3;

/// What [`apply`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Requirements whose verdict changed: (id, before, after), in catalogue order.
    pub changed: Vec<(String, Verdict, Verdict)>,
    /// Number of contradiction findings.
    pub contradictions: usize,
}

/// One aspect of a declaration outcome.
enum Part {
    /// Present and valid.
    Good(Evidence),
    /// Absent: the field and what it is.
    Missing(String),
    /// Present and shows the requirement unmet: evidence, title, remediation.
    Bad(Evidence, String, String),
}

struct Builder<'a> {
    declaration: &'a Declaration,
    parts: Vec<Part>,
}

impl Builder<'_> {
    fn evidence<T>(&self, name: &str, field: &Field<T>, observed: String, why: &str) -> Evidence {
        Evidence {
            kind: EvidenceKind::Declaration,
            location: self.declaration.location(name, field.offset),
            observed,
            reason: why.to_owned(),
            excerpt: None,
        }
    }

    fn good<T>(&mut self, name: &str, field: &Field<T>, observed: String, why: &str) {
        let evidence = self.evidence(name, field, observed, why);
        self.parts.push(Part::Good(evidence));
    }

    fn bad<T>(&mut self, name: &str, field: &Field<T>, observed: String, fix: &str) {
        let evidence = self.evidence(
            name,
            field,
            observed.clone(),
            "the manufacturer's own statement shows the requirement is not met",
        );
        self.parts
            .push(Part::Bad(evidence, observed, fix.to_owned()));
    }

    fn missing(&mut self, name: &str, what: &str) {
        self.parts.push(Part::Missing(format!(
            "`{name}` in the declaration {}: {what}",
            self.declaration.path
        )));
    }

    /// A text or URL field that only has to be present.
    fn present(&mut self, name: &str, field: Option<&Field<String>>, what: &str) {
        match field {
            Some(f) => self.good(name, f, format!("{what}: {}", bounded(&f.value)), what),
            None => self.missing(name, what),
        }
    }

    fn outcome(
        self,
        check: &str,
        requirements: Vec<String>,
        severity: Severity,
        summary: &str,
    ) -> Outcome {
        let mut evidence = Vec::new();
        let mut missing = Vec::new();
        let mut findings = Vec::new();
        for part in self.parts {
            match part {
                Part::Good(e) => evidence.push(e),
                Part::Missing(m) => missing.push(m),
                Part::Bad(e, title, remediation) => {
                    let field = match &e.location {
                        Location::Document { field, .. } => field.clone().unwrap_or_default(),
                        _ => String::new(),
                    };
                    findings.push(Finding {
                        id: format!("{check}:{field}"),
                        check: check.to_owned(),
                        requirements: requirements.clone(),
                        severity,
                        title: title.clone(),
                        message: format!("The declaration states: {title}."),
                        evidence: vec![e],
                        remediation,
                    });
                }
            }
        }
        let (verdict, summary) = if !findings.is_empty() {
            (
                Verdict::Fail,
                format!("{summary}: the declared content shows it is not met"),
            )
        } else if !missing.is_empty() {
            (
                Verdict::Inconclusive,
                format!(
                    "{summary}: the declaration lacks {} field(s)",
                    missing.len()
                ),
            )
        } else {
            (
                Verdict::Pass,
                format!("{summary}: every field is present and valid"),
            )
        };
        Outcome {
            check: check.to_owned(),
            requirements,
            verdict,
            summary,
            evidence: if verdict == Verdict::Fail {
                Vec::new()
            } else {
                evidence
            },
            missing,
            findings,
        }
    }
}

fn bounded(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(160).collect();
    if one_line.chars().count() > 160 {
        out.push('…');
    }
    out
}

/// The declaration outcomes (one per `declaration-*` aspect check) for `today`.
fn aspects(declaration: &Declaration, today: Date) -> Vec<(&'static str, Builder<'_>, &str)> {
    let d = declaration;
    let new = || Builder {
        declaration: d,
        parts: Vec::new(),
    };

    let mut support = new();
    match &d.support.end_date {
        Some(end) if end.value.0 >= today => support.good(
            "support.end_date",
            end,
            format!("security updates until {} (today is {today})", end.value.0),
            "a support period with an end date that has not passed",
        ),
        Some(end) => support.bad(
            "support.end_date",
            end,
            format!(
                "the security-update support period ended on {} (today is {today})",
                end.value.0
            ),
            "Publish an extended support period with a new end date (never a shorter one), or \
             tell customers the model no longer receives security fixes and how to replace it.",
        ),
        None => support.missing(
            "support.end_date",
            "the last day on which security updates are provided (PSTI Schedule 1, \
             paragraph 3)",
        ),
    }
    support.present(
        "support.published_at",
        d.support.published_at.as_ref(),
        "where the support period is published",
    );

    let mut disclosure = new();
    disclosure.present(
        "disclosure.contact",
        d.disclosure.contact.as_ref(),
        "a point of contact for reporting vulnerabilities (mailto: or https:)",
    );
    disclosure.present(
        "disclosure.policy_url",
        d.disclosure.policy_url.as_ref(),
        "the published vulnerability disclosure policy",
    );
    for (name, field, what) in [
        (
            "disclosure.acknowledgement_days",
            &d.disclosure.acknowledgement_days,
            "days within which a reporter is acknowledged (PSTI Schedule 1, paragraph 2)",
        ),
        (
            "disclosure.status_update_days",
            &d.disclosure.status_update_days,
            "days between status updates to a reporter (PSTI Schedule 1, paragraph 2)",
        ),
    ] {
        match field {
            Some(f) => disclosure.good(name, f, format!("{}: {} days", what, f.value), what),
            None => disclosure.missing(name, what),
        }
    }
    if let Some(txt) = &d.disclosure.security_txt {
        let name = "disclosure.security_txt";
        if !security_txt_has_contact(&txt.value) {
            disclosure.bad(
                name,
                txt,
                "the security.txt has no Contact field".to_owned(),
                "Give security.txt at least one `Contact:` line (RFC 9116).",
            );
        }
        match security_txt_expiry(&txt.value) {
            Some(expires) if expires >= today => disclosure.good(
                name,
                txt,
                format!("security.txt with a Contact, valid until {expires}"),
                "a current security.txt",
            ),
            Some(expires) => disclosure.bad(
                name,
                txt,
                format!("the security.txt expired on {expires} (today is {today})"),
                "Publish a security.txt with an `Expires:` date in the future (RFC 9116 \
                 recommends less than a year ahead) and keep renewing it.",
            ),
            None => disclosure.bad(
                name,
                txt,
                "the security.txt has no valid Expires field".to_owned(),
                "Add an `Expires:` line with an RFC 3339 date-time (RFC 9116 requires it).",
            ),
        }
    }

    let mut sbom = new();
    sbom.present(
        "transparency.sbom_url",
        d.transparency.sbom_url.as_ref(),
        "where this release's machine-readable SBOM is published",
    );
    sbom.present(
        "transparency.advisories_url",
        d.transparency.advisories_url.as_ref(),
        "where machine-readable advisories or VEX statements are published",
    );

    let mut updates = new();
    let u = &d.updates;
    match &u.mode {
        Some(f) if f.value == UpdateMode::Manual => updates.bad(
            "updates.mode",
            f,
            "security updates are applied only when an administrator installs them".to_owned(),
            "Apply security updates automatically by default, or on a schedule the \
             organisation sets, with administrators able to stage and defer them.",
        ),
        Some(f) => updates.good(
            "updates.mode",
            f,
            format!(
                "updates are applied {}",
                if f.value == UpdateMode::Automatic {
                    "automatically by default"
                } else {
                    "on a schedule the organisation sets"
                }
            ),
            "automatic or scheduled application",
        ),
        None => updates.missing("updates.mode", "automatic, scheduled or manual"),
    }
    match &u.check_interval_hours {
        Some(f) => updates.good(
            "updates.check_interval_hours",
            f,
            format!("checks for updates every {} hours", f.value),
            "regular update checks",
        ),
        None => updates.missing(
            "updates.check_interval_hours",
            "how often the device checks for updates",
        ),
    }
    match &u.admin_can_defer {
        Some(f) if !f.value => updates.bad(
            "updates.admin_can_defer",
            f,
            "administrators cannot defer an update".to_owned(),
            "Let administrators defer an update for a bounded time, so that they can test it \
             first.",
        ),
        Some(f) => {
            updates.good(
                "updates.admin_can_defer",
                f,
                "administrators can defer updates".to_owned(),
                "bounded deferral",
            );
            match &u.max_deferral_days {
                Some(m) => updates.good(
                    "updates.max_deferral_days",
                    m,
                    format!("for at most {} days", m.value),
                    "the deferral is bounded",
                ),
                None => updates.missing(
                    "updates.max_deferral_days",
                    "the longest an update can be deferred",
                ),
            }
        }
        None => updates.missing(
            "updates.admin_can_defer",
            "whether administrators can defer updates",
        ),
    }
    match &u.local_mirror {
        Some(f) if !f.value => updates.bad(
            "updates.local_mirror",
            f,
            "updates cannot come from a local mirror or central management system".to_owned(),
            "Let organisations distribute updates from a local mirror or their central \
             management system.",
        ),
        Some(f) => updates.good(
            "updates.local_mirror",
            f,
            "updates can come from a local mirror or central management".to_owned(),
            "local distribution",
        ),
        None => updates.missing(
            "updates.local_mirror",
            "whether updates can come from a local mirror or central management",
        ),
    }
    updates.present(
        "updates.notification",
        u.notification.as_ref(),
        "how administrators learn an update is available and what it fixes",
    );
    updates.present(
        "updates.admin_control",
        u.admin_control.as_ref(),
        "how administrators stage, schedule and roll out updates",
    );

    let mut physical = new();
    let h = &d.hardware;
    match &h.key_storage {
        Some(f) if f.value == KeyStorage::PlainFlash => physical.bad(
            "hardware.key_storage",
            f,
            "device keys are kept in plain flash".to_owned(),
            "Keep device keys in a secure element, TPM or TEE storage bound to a \
             hardware-unique key, or encrypt the flash with a key bound to the SoC.",
        ),
        Some(f) => physical.good(
            "hardware.key_storage",
            f,
            format!("device keys are held in {}", f.value.describe()),
            "read-out resistant key storage",
        ),
        None => physical.missing("hardware.key_storage", "where device keys are held"),
    }
    match &h.debug_ports {
        Some(f) if f.value == DebugPorts::Open => physical.bad(
            "hardware.debug_ports",
            f,
            "JTAG/SWD debug ports are open on production units".to_owned(),
            "Disable JTAG/SWD by fuses or lock bits on production units, or open them only \
             with a per-device, manufacturer-signed unlock.",
        ),
        Some(f) => physical.good(
            "hardware.debug_ports",
            f,
            format!("JTAG/SWD debug ports are {}", f.value.describe()),
            "debug ports closed on production units",
        ),
        None => physical.missing("hardware.debug_ports", "JTAG/SWD state on production units"),
    }
    match &h.flash_readout_protection {
        Some(f) if !f.value => physical.bad(
            "hardware.flash_readout_protection",
            f,
            "flash read-out protection is off on production units".to_owned(),
            "Enable flash read-out protection on production units.",
        ),
        Some(f) => physical.good(
            "hardware.flash_readout_protection",
            f,
            "flash read-out protection is enabled".to_owned(),
            "read-out protection",
        ),
        None => physical.missing(
            "hardware.flash_readout_protection",
            "whether flash read-out protection is enabled",
        ),
    }
    physical.present(
        "hardware.physical_threats",
        h.physical_threats.as_ref(),
        "which physical threats the design addresses",
    );

    let mut deployment = new();
    let docs = &d.documentation;
    deployment.present(
        "documentation.deployment_guide",
        docs.deployment_guide.as_ref(),
        "the secure installation steps",
    );
    deployment.present(
        "documentation.network_requirements",
        docs.network_requirements.as_ref(),
        "the ports, protocols and endpoints the device needs",
    );
    deployment.present(
        "documentation.installation_verification",
        docs.installation_verification.as_ref(),
        "how to verify an installation is secure",
    );
    deployment.present(
        "documentation.asset_inventory",
        docs.asset_inventory.as_ref(),
        "how asset-inventory tools read model, serial number and firmware version",
    );

    vec![
        (
            SUPPORT_PERIOD,
            support,
            "declared support period (end date and where it is published)",
        ),
        (
            DISCLOSURE,
            disclosure,
            "declared vulnerability disclosure (contact, policy, response timelines)",
        ),
        (SBOM, sbom, "declared SBOM and advisory publication"),
        (
            UPDATE_POLICY,
            updates,
            "declared update policy (application, checks, deferral, distribution, notices)",
        ),
        (
            PHYSICAL,
            physical,
            "declared physical protection (key storage, debug ports, read-out protection)",
        ),
        (DEPLOYMENT, deployment, "declared deployment documentation"),
    ]
}

/// Something the declaration asserts or admits about one requirement.
struct Statement {
    requirement: String,
    field: &'static str,
    offset: usize,
    /// What it says, as a sentence fragment.
    says: String,
}

/// Stated facts that assert (`true`) or admit the failure of (`false`) a requirement.
fn stated_facts(d: &Declaration) -> Vec<(bool, Statement)> {
    let mut out = Vec::new();
    let mut push = |holds: bool, requirement: &str, field, offset, says: String| {
        out.push((
            holds,
            Statement {
                requirement: requirement.to_owned(),
                field,
                offset,
                says,
            },
        ));
    };
    if let Some(f) = &d.credentials.method {
        let how = match f.value {
            CredentialMethod::UniquePerDevice => "unique per device",
            CredentialMethod::SetAtFirstUse => "set by the user at first use",
            CredentialMethod::ExternalIdentity => "replaced by enterprise identity",
        };
        push(
            true,
            "ECD-2.1",
            "credentials.method",
            f.offset,
            format!("default credentials are {how}"),
        );
    }
    if let Some(f) = &d.hardware.secure_boot {
        let holds = f.value == SecureBoot::Enforced;
        let says = match f.value {
            SecureBoot::Enforced => "secure boot is enforced",
            SecureBoot::Disabled => "secure boot is not enforced on production units",
            SecureBoot::NotSupported => "the hardware cannot verify the boot chain",
        };
        push(
            holds,
            "ECD-4.1",
            "hardware.secure_boot",
            f.offset,
            says.to_owned(),
        );
    }
    if let Some(f) = &d.hardware.debug_ports {
        let holds = f.value != DebugPorts::Open;
        push(
            holds,
            "ECD-8.3",
            "hardware.debug_ports",
            f.offset,
            if holds {
                format!("JTAG/SWD debug ports are {}", f.value.describe())
            } else {
                "JTAG/SWD debug ports are open on production units".to_owned()
            },
        );
    }
    if let Some(f) = &d.hardware.serial_console {
        let holds = f.value != SerialConsole::Open;
        push(
            holds,
            "ECD-8.3",
            "hardware.serial_console",
            f.offset,
            if holds {
                format!("the serial console is {}", f.value.describe())
            } else {
                "the serial console gives a shell without a login".to_owned()
            },
        );
    }
    if let Some(f) = &d.recovery.authenticated {
        push(
            f.value,
            "ECD-11.4",
            "recovery.authenticated",
            f.offset,
            if f.value {
                "every recovery path accepts only manufacturer-signed images".to_owned()
            } else {
                "some recovery path accepts unsigned images".to_owned()
            },
        );
    }
    out
}

/// Folds `declaration` into `report` by the combination rules (see the module documentation
/// and `docs/declaration-format.md`), adds the declaration to the provenance and recomputes
/// the summary. Fails, changing nothing, when the declaration names another image than the
/// report's firmware input.
pub fn apply(
    report: &mut Report,
    declaration: &Declaration,
    catalog: &Catalog,
    today: Date,
) -> Result<Applied, DeclarationError> {
    let digest = &declaration.product.image_sha256;
    if let Some(image) = report
        .provenance
        .inputs
        .iter()
        .find(|i| i.kind == EvidenceKind::Firmware)
    {
        if let Some(sha) = &image.sha256 {
            if !sha.eq_ignore_ascii_case(&digest.value) {
                let (line, column) = declaration.lines.line_col(digest.offset);
                return Err(DeclarationError::WrongImage(Diagnostic {
                    file: declaration.path.clone(),
                    line,
                    column,
                    field: "product.image_sha256".into(),
                    message: format!(
                        "declares image {}, but the assessed image {} has SHA-256 {sha}",
                        digest.value, image.name
                    ),
                }));
            }
        }
    }

    let severity_of = |id: &str| {
        catalog
            .requirement(id)
            .map_or(Severity::Medium, |r| r.severity)
    };
    let tested: BTreeMap<String, Verdict> = report
        .requirements
        .iter()
        .map(|r| (r.id.clone(), r.verdict))
        .collect();
    let mut new_outcomes: Vec<Outcome> = Vec::new();

    // Rule 3: the content outcomes of declaration-decided requirements.
    for (check, builder, summary) in aspects(declaration, today) {
        let requirements: Vec<String> = DECLARATION_DECIDED
            .iter()
            .filter(|(id, checks)| checks.contains(&check) && tested.contains_key(*id))
            .map(|(id, _)| (*id).to_owned())
            .collect();
        if requirements.is_empty() {
            continue;
        }
        let severity = requirements
            .iter()
            .map(|id| severity_of(id))
            .max()
            .unwrap_or(Severity::Medium);
        new_outcomes.push(builder.outcome(check, requirements, severity, summary));
    }

    // Rules 1 and 2: claims and stated facts against the tested verdicts.
    let mut asserted: Vec<Statement> = Vec::new();
    let mut admitted: Vec<Statement> = Vec::new();
    for (id, claim) in &declaration.claims {
        if catalog.requirement(id).is_none() {
            continue;
        }
        let why = claim
            .justification
            .as_ref()
            .map(|j| format!(" ({})", bounded(&j.value)))
            .unwrap_or_default();
        let statement = |says: String| Statement {
            requirement: id.clone(),
            field: "claim.status",
            offset: claim.status.offset,
            says,
        };
        match claim.status.value {
            ClaimStatus::Supported => {
                asserted.push(statement(format!("{id} is claimed `supported`{why}")))
            }
            ClaimStatus::NotApplicable => {
                asserted.push(statement(format!("{id} is claimed `not_applicable`{why}")))
            }
            ClaimStatus::NotSupported => {
                admitted.push(statement(format!("{id} is claimed `not_supported`{why}")))
            }
        }
    }
    for (holds, statement) in stated_facts(declaration) {
        if holds {
            asserted.push(statement);
        } else {
            admitted.push(statement);
        }
    }

    let mut contradictions: Vec<Finding> = Vec::new();
    for statement in &asserted {
        if tested.get(&statement.requirement) != Some(&Verdict::Fail) {
            continue;
        }
        let mut evidence = vec![Evidence {
            kind: EvidenceKind::Declaration,
            location: declaration.location(statement.field, statement.offset),
            observed: statement.says.clone(),
            reason: format!(
                "the declaration asserts {} is met, but tests failed it",
                statement.requirement
            ),
            excerpt: None,
        }];
        let failing: Vec<&Outcome> = report
            .outcomes
            .iter()
            .filter(|o| {
                o.verdict == Verdict::Fail && o.requirements.contains(&statement.requirement)
            })
            .collect();
        evidence.extend(
            failing
                .iter()
                .flat_map(|o| o.findings.iter().filter_map(|f| f.evidence.first()))
                .take(MAX_TESTED_EVIDENCE)
                .cloned(),
        );
        let checks: Vec<&str> = failing.iter().map(|o| o.check.as_str()).collect();
        contradictions.push(Finding {
            id: format!(
                "{CONTRADICTION}:{}:{}",
                statement.requirement, statement.field
            ),
            check: CONTRADICTION.to_owned(),
            requirements: vec![statement.requirement.clone()],
            severity: severity_of(&statement.requirement),
            title: format!(
                "The declaration contradicts the tests on {}",
                statement.requirement
            ),
            message: format!(
                "The declaration says {}, but {} failed it ({}). Test evidence outranks claims: \
                 the requirement stays FAIL.",
                statement.says,
                statement.requirement,
                checks.join(", ")
            ),
            evidence,
            remediation: format!(
                "Fix the weaknesses the tests found, or correct the declaration: a claim must \
                 match the firmware it is made for (`hallmark explain {}`).",
                statement.requirement
            ),
        });
    }

    let mut gaps: Vec<Finding> = Vec::new();
    for statement in &admitted {
        if tested.get(&statement.requirement) != Some(&Verdict::Inconclusive) {
            continue;
        }
        gaps.push(Finding {
            id: format!(
                "{STATED_GAPS}:{}:{}",
                statement.requirement, statement.field
            ),
            check: STATED_GAPS.to_owned(),
            requirements: vec![statement.requirement.clone()],
            severity: severity_of(&statement.requirement),
            title: format!(
                "The manufacturer states {} is not met",
                statement.requirement
            ),
            message: format!("The declaration says {}.", statement.says),
            evidence: vec![Evidence {
                kind: EvidenceKind::Declaration,
                location: declaration.location(statement.field, statement.offset),
                observed: statement.says.clone(),
                reason: "the manufacturer's own statement that the requirement is not met"
                    .to_owned(),
                excerpt: None,
            }],
            remediation: catalog
                .requirement(&statement.requirement)
                .map(|r| r.remediation.clone())
                .unwrap_or_default(),
        });
    }

    let mut applied = Applied {
        changed: Vec::new(),
        contradictions: contradictions.len(),
    };
    for (check, findings, summary) in [
        (
            CONTRADICTION,
            contradictions,
            "claims or stated facts that tested evidence contradicts",
        ),
        (
            STATED_GAPS,
            gaps,
            "requirements the manufacturer states are not met",
        ),
    ] {
        if findings.is_empty() {
            continue;
        }
        let requirements: BTreeSet<String> = findings
            .iter()
            .flat_map(|f| f.requirements.iter().cloned())
            .collect();
        new_outcomes.push(Outcome {
            check: check.to_owned(),
            requirements: requirements.into_iter().collect(),
            verdict: Verdict::Fail,
            summary: format!("{} {summary}", findings.len()),
            evidence: Vec::new(),
            missing: Vec::new(),
            findings,
        });
    }

    // Tested outcomes that could not decide, by the requirements they inform.
    let mut tested_open: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for outcome in &report.outcomes {
        if outcome.verdict == Verdict::Inconclusive {
            for id in &outcome.requirements {
                tested_open
                    .entry(id.as_str())
                    .or_default()
                    .push(outcome.check.clone());
            }
        }
    }
    for result in &mut report.requirements {
        let before = result.verdict;
        let informing: Vec<&Outcome> = new_outcomes
            .iter()
            .filter(|o| o.requirements.contains(&result.id))
            .collect();
        result
            .checks
            .extend(informing.iter().map(|o| o.check.clone()));
        let claim = declaration.claim(&result.id);
        let claim_note = claim.map(|c| {
            format!(
                "the declaration claims `{}` (line {})",
                c.status.value.as_str(),
                declaration.line_of(c.status.offset)
            )
        });
        let decided = DECLARATION_DECIDED.iter().any(|(id, _)| *id == result.id);
        let content: Vec<&&Outcome> = informing
            .iter()
            .filter(|o| o.check != CONTRADICTION && o.check != STATED_GAPS)
            .collect();
        match before {
            Verdict::Fail => {
                if informing.iter().any(|o| o.check == CONTRADICTION) {
                    result
                        .reason
                        .push_str("; the declaration contradicts this (declaration-contradiction)");
                }
            }
            Verdict::Pass | Verdict::NotApplicable
                if content.iter().any(|o| o.verdict == Verdict::Fail) =>
            {
                result.verdict = Verdict::Fail;
                result.reason = format!(
                    "failed by declared content ({})",
                    failing_ids(&content, Verdict::Fail)
                );
            }
            Verdict::Pass | Verdict::NotApplicable => {
                if let Some(note) = claim_note {
                    result
                        .reason
                        .push_str(&format!("; {note}, and test evidence outranks claims"));
                }
            }
            Verdict::Inconclusive => {
                if informing.iter().any(|o| o.check == STATED_GAPS) {
                    result.verdict = Verdict::Fail;
                    result.reason =
                        "failed by the manufacturer's own statement (declaration-stated-gaps)"
                            .to_owned();
                    result.missing.clear();
                } else if decided && !content.is_empty() {
                    let verdict = Verdict::roll_up(content.iter().map(|o| o.verdict));
                    result.verdict = verdict;
                    // The generic "needs the manufacturer's declaration" no longer applies;
                    // what firmware checks still miss does.
                    result.missing.retain(|m| !m.starts_with("needs "));
                    let open: &[String] = tested_open
                        .get(result.id.as_str())
                        .map_or(&[], Vec::as_slice);
                    let declaration_only = catalog.requirement(&result.id).is_some_and(|r| {
                        r.evidence.iter().all(|k| *k == EvidenceKind::Declaration)
                    });
                    match verdict {
                        Verdict::Pass if !open.is_empty() && !declaration_only => {
                            // Unknown never counts as a pass: a test of the requirement that
                            // could not decide keeps it open, whatever the declaration says.
                            result.verdict = Verdict::Inconclusive;
                            result.reason = format!(
                                "the declared content validates ({}), but tests of it did not                                  decide ({})",
                                failing_ids(&content, Verdict::Pass),
                                open.join(", ")
                            );
                        }
                        Verdict::Pass => {
                            result.missing.clear();
                            result.reason = format!(
                                "passed by the declared content ({})",
                                failing_ids(&content, Verdict::Pass)
                            );
                            if !open.is_empty() {
                                // The catalogue decides this requirement from the declaration
                                // alone; firmware checks of it are supporting indicators.
                                result.reason.push_str(&format!(
                                    "; supporting firmware indicators not decided: {}",
                                    open.join(", ")
                                ));
                            }
                        }
                        Verdict::Fail => {
                            result.missing.clear();
                            result.reason = format!(
                                "failed by declared content ({})",
                                failing_ids(&content, Verdict::Fail)
                            );
                        }
                        _ => {
                            result
                                .missing
                                .extend(content.iter().flat_map(|o| o.missing.iter().cloned()));
                            result.reason = format!(
                                "the declaration lacks content that decides it ({})",
                                failing_ids(&content, Verdict::Inconclusive)
                            );
                        }
                    }
                    if let Some(note) = claim_note.filter(|_| verdict != Verdict::Pass) {
                        result.reason.push_str(&format!(
                            "; {note}, but a claim without the content does not decide it"
                        ));
                    }
                } else if let Some(note) = claim_note {
                    result.reason.push_str(&format!(
                        "; {note}, which alone does not decide a requirement that needs test \
                         evidence"
                    ));
                }
            }
        }
        result.missing.dedup();
        if result.verdict != before {
            applied
                .changed
                .push((result.id.clone(), before, result.verdict));
        }
    }

    report.outcomes.extend(new_outcomes);
    report.outcomes.sort_by(|a, b| a.check.cmp(&b.check));
    let text = declaration.text();
    report.provenance.inputs.push(Input {
        kind: EvidenceKind::Declaration,
        name: declaration.path.clone(),
        sha256: Some(hex(&Sha256::digest(text.as_bytes()))),
        size: u64::try_from(text.len()).ok(),
    });
    report
        .provenance
        .settings
        .insert("declaration_date".to_owned(), today.to_string().into());
    let titles: BTreeMap<u8, String> = catalog
        .principles
        .iter()
        .map(|p| (p.number, p.title.clone()))
        .collect();
    report.summarize(&titles);
    Ok(applied)
}

/// The outcome ids among `outcomes` with `verdict`.
fn failing_ids(outcomes: &[&&Outcome], verdict: Verdict) -> String {
    outcomes
        .iter()
        .filter(|o| o.verdict == verdict)
        .map(|o| o.check.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

use hallmark_model::hex;
