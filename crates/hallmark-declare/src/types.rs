//! The declaration's data: what the manufacturer claims and states, each value with where it
//! was written.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::date::Date;

/// A value together with the byte offset in the declaration file where it was written, so that
/// errors and evidence can name the line ([`crate::Declaration::line_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<T> {
    /// The value.
    pub value: T,
    /// Byte offset of the value in the file.
    pub offset: usize,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        let offset = spanned.span().start;
        Ok(Field {
            value: spanned.into_inner(),
            offset,
        })
    }
}

/// A calendar date written as a TOML date (`2030-12-31`) or as a string of that form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeclaredDate(pub Date);

impl<'de> Deserialize<'de> for DeclaredDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Input {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let wrong =
            || serde::de::Error::custom("expected a date such as 2030-12-31 (year, month, day)");
        let date = match Input::deserialize(deserializer).map_err(|_| wrong())? {
            Input::Toml(datetime) => match (datetime.date, datetime.time, datetime.offset) {
                (Some(d), None, None) => Date::new(d.year, d.month, d.day),
                _ => None,
            },
            Input::Text(text) => Date::parse(&text),
        };
        date.map(DeclaredDate).ok_or_else(wrong)
    }
}

/// What the manufacturer claims for one requirement, as in an ETSI TS 103 701 implementation
/// conformance statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// The product meets the requirement.
    Supported,
    /// The product does not meet it (a justification is required).
    NotSupported,
    /// The requirement does not apply to the product (a justification is required).
    NotApplicable,
}

impl ClaimStatus {
    /// The name used in declaration files.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Supported => "supported",
            ClaimStatus::NotSupported => "not_supported",
            ClaimStatus::NotApplicable => "not_applicable",
        }
    }
}

/// A reference to where a claim is substantiated: a document, a URL, a section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    /// Title of the document.
    pub document: Option<Field<String>>,
    /// Where it is published (`https://`).
    pub url: Option<Field<String>>,
    /// Section, clause or page inside it.
    pub section: Option<Field<String>>,
}

/// One requirement's claim.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Requirement id, e.g. `ECD-1.7`.
    pub requirement: Field<String>,
    /// Supported, not supported or not applicable.
    pub status: Field<ClaimStatus>,
    /// Why (required for `not_supported` and `not_applicable`).
    pub justification: Option<Field<String>>,
    /// Where the claim is substantiated.
    #[serde(default)]
    pub evidence: Vec<Field<EvidenceRef>>,
}

/// When the statement was made and how long it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The date the declaration was made; never in the future.
    pub issued: Option<Field<DeclaredDate>>,
    /// The date until which the declaration holds; a declaration past it is rejected.
    pub valid_until: Option<Field<DeclaredDate>>,
    /// Who made it (team or person, and organisation).
    pub author: Option<Field<String>>,
}

/// The product and firmware the declaration is about.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Manufacturer's name.
    pub manufacturer: Field<String>,
    /// Model designation as shown on the device.
    pub model: Field<String>,
    /// Hardware revision.
    pub hardware_revision: Option<Field<String>>,
    /// Firmware version.
    pub firmware_version: Field<String>,
    /// SHA-256 of the firmware image file, hex.
    pub image_sha256: Field<String>,
}

/// The security-update support period (PSTI Schedule 1 paragraph 3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// The last day on which security updates are provided.
    pub end_date: Option<Field<DeclaredDate>>,
    /// Where the support period is published (`https://`).
    pub published_at: Option<Field<String>>,
}

/// How to report vulnerabilities (PSTI Schedule 1 paragraph 2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// Point of contact: `mailto:` address or `https://` form.
    pub contact: Option<Field<String>>,
    /// The published vulnerability disclosure policy (`https://`).
    pub policy_url: Option<Field<String>>,
    /// Days within which a reporter gets an acknowledgement.
    pub acknowledgement_days: Option<Field<u16>>,
    /// Days between status updates until the issue is resolved.
    pub status_update_days: Option<Field<u16>>,
    /// The vendor's `/.well-known/security.txt` (RFC 9116), verbatim.
    pub security_txt: Option<Field<String>>,
}

/// Published SBOM and advisories (ECD-5.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transparency {
    /// Where this release's SBOM is published (`https://`).
    pub sbom_url: Option<Field<String>>,
    /// Its format.
    pub sbom_format: Option<Field<SbomFormat>>,
    /// Where machine-readable advisories or VEX statements are published (`https://`).
    pub advisories_url: Option<Field<String>>,
}

/// A software bill of materials format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SbomFormat {
    /// CycloneDX.
    Cyclonedx,
    /// SPDX.
    Spdx,
}

/// How updates are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    /// Applied automatically by default.
    Automatic,
    /// Applied on a schedule the organisation sets.
    Scheduled,
    /// Applied only when an administrator acts.
    Manual,
}

/// The update policy (ECD-1.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Updates {
    /// Automatic, scheduled or manual.
    pub mode: Option<Field<UpdateMode>>,
    /// How often the device checks for updates, in hours.
    pub check_interval_hours: Option<Field<u16>>,
    /// Whether administrators can defer an update.
    pub admin_can_defer: Option<Field<bool>>,
    /// The longest deferral, in days.
    pub max_deferral_days: Option<Field<u16>>,
    /// Whether updates can come from a local mirror or central management system.
    pub local_mirror: Option<Field<bool>>,
    /// How administrators are told an update is available and what it fixes.
    pub notification: Option<Field<String>>,
    /// How administrators control updates (staging, scheduling, rollout).
    pub admin_control: Option<Field<String>>,
}

/// How default credentials are made unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialMethod {
    /// A different password per unit, set in the factory.
    UniquePerDevice,
    /// No password until the user sets one at first use.
    SetAtFirstUse,
    /// Only enterprise identity (no local password at all).
    ExternalIdentity,
}

/// Default credentials (ECD-2.1, PSTI Schedule 1 paragraph 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// How each unit's default credential is made unique.
    pub method: Option<Field<CredentialMethod>>,
    /// How it is generated (not from serial numbers or counters), in a sentence or two.
    pub description: Option<Field<String>>,
}

/// Whether the boot chain verifies signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecureBoot {
    /// Enforced from a hardware root of trust on production units.
    Enforced,
    /// Present but not enforced on production units.
    Disabled,
    /// The hardware cannot do it.
    NotSupported,
}

/// Where device keys live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStorage {
    /// A secure element.
    SecureElement,
    /// A TPM.
    Tpm,
    /// TEE storage bound to a hardware-unique key.
    Tee,
    /// Flash encrypted with a key bound to the SoC.
    EncryptedFlash,
    /// Plain flash.
    PlainFlash,
}

impl KeyStorage {
    /// In words, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            KeyStorage::SecureElement => "a secure element",
            KeyStorage::Tpm => "a TPM",
            KeyStorage::Tee => "TEE storage bound to a hardware-unique key",
            KeyStorage::EncryptedFlash => "flash encrypted with a key bound to the SoC",
            KeyStorage::PlainFlash => "plain flash",
        }
    }
}

/// State of the JTAG/SWD debug ports on production units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebugPorts {
    /// Not routed or not present.
    Absent,
    /// Permanently disabled by fuses.
    Fused,
    /// Locked; opened only with a per-device signed unlock.
    Locked,
    /// Open to anyone with physical access.
    Open,
}

impl DebugPorts {
    /// In words, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            DebugPorts::Absent => "absent",
            DebugPorts::Fused => "disabled by fuses",
            DebugPorts::Locked => "locked (signed unlock only)",
            DebugPorts::Open => "open",
        }
    }
}

/// State of the serial console on production units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerialConsole {
    /// Not present.
    Absent,
    /// Present and disabled.
    Disabled,
    /// Present and requires a login.
    Login,
    /// Present and gives a shell without a login.
    Open,
}

impl SerialConsole {
    /// In words, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            SerialConsole::Absent => "absent",
            SerialConsole::Disabled => "disabled",
            SerialConsole::Login => "behind a login",
            SerialConsole::Open => "open without a login",
        }
    }
}

/// Hardware security (ECD-4.1, ECD-4.5, ECD-8.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    /// Whether the boot chain verifies signatures.
    pub secure_boot: Option<Field<SecureBoot>>,
    /// Where device keys live.
    pub key_storage: Option<Field<KeyStorage>>,
    /// JTAG/SWD state.
    pub debug_ports: Option<Field<DebugPorts>>,
    /// Serial console state.
    pub serial_console: Option<Field<SerialConsole>>,
    /// Whether flash read-out protection is enabled on production units.
    pub flash_readout_protection: Option<Field<bool>>,
    /// Which physical threats the design addresses (tamper evidence, enclosure switches).
    pub physical_threats: Option<Field<String>>,
}

/// Logging capabilities (principle 10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// Whether security logs survive a reboot.
    pub persistent: Option<Field<bool>>,
    /// Capacity and retention, in words.
    pub retention: Option<Field<String>>,
    /// Whether logs can be forwarded to an enterprise collector over a protected channel.
    pub remote_forwarding: Option<Field<bool>>,
    /// Whether only administrators can clear the log.
    pub clear_requires_admin: Option<Field<bool>>,
}

/// Recovery capabilities (principle 11).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// Every recovery path (bootloader TFTP, USB, web failsafe, reset button), in words.
    pub mechanisms: Option<Field<String>>,
    /// Whether every recovery path accepts only manufacturer-signed images.
    pub authenticated: Option<Field<bool>>,
    /// Whether recovery refuses older vulnerable versions.
    pub anti_rollback: Option<Field<bool>>,
    /// The documented procedure (`https://`).
    pub procedure_url: Option<Field<String>>,
}

/// Published deployment documents (ECD-9.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documentation {
    /// Secure installation steps (`https://`).
    pub deployment_guide: Option<Field<String>>,
    /// Ports, protocols and endpoints the device needs (`https://`).
    pub network_requirements: Option<Field<String>>,
    /// How to verify that an installation is secure (`https://`).
    pub installation_verification: Option<Field<String>>,
    /// How asset-inventory tools read model, serial number and firmware version (`https://`).
    pub asset_inventory: Option<Field<String>>,
    /// The hardening guide and secure baseline (`https://`).
    pub hardening_guide: Option<Field<String>>,
}

/// The whole file, as deserialised (before validation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeclaration {
    pub format: Field<String>,
    #[serde(default)]
    pub declaration: Meta,
    pub product: Product,
    #[serde(default)]
    pub support: Support,
    #[serde(default)]
    pub disclosure: Disclosure,
    #[serde(default)]
    pub transparency: Transparency,
    #[serde(default)]
    pub updates: Updates,
    #[serde(default)]
    pub credentials: Credentials,
    #[serde(default)]
    pub hardware: Hardware,
    #[serde(default)]
    pub logging: Logging,
    #[serde(default)]
    pub recovery: Recovery,
    #[serde(default)]
    pub documentation: Documentation,
    #[serde(default)]
    pub claim: Vec<Claim>,
}

/// Claims by requirement id.
pub type Claims = BTreeMap<String, Claim>;
