//! The commented template `hallmark declaration init` writes.

use std::collections::BTreeMap;

use hallmark_catalog::Catalog;
use hallmark_model::{EvidenceKind, Verdict};

use crate::combine::DECLARATION_DECIDED;
use crate::parse::FORMAT;

/// Most detected items listed in one comment block of the template.
pub const MAX_PREFILL_ITEMS: usize = 40;

/// What an assessment found, to pre-fill a template. Everything is optional: an empty
/// `Prefill` gives the blank template.
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    /// The image's file name.
    pub image_name: Option<String>,
    /// The image's SHA-256, hex.
    pub image_sha256: Option<String>,
    /// The operating system identified.
    pub os: Option<String>,
    /// Software components as (name, version).
    pub components: Vec<(String, Option<String>)>,
    /// Update mechanisms found, one line each.
    pub updates: Vec<String>,
    /// Logging mechanisms found, one line each.
    pub logging: Vec<String>,
    /// Recovery and boot mechanisms found, one line each.
    pub recovery: Vec<String>,
    /// Tested verdicts by requirement id.
    pub verdicts: BTreeMap<String, Verdict>,
}

/// Quotes `text` as a TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One comment line per item (bounded), for "detected in the image" notes.
fn detected(out: &mut String, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("# {heading}\n"));
    for item in items.iter().take(MAX_PREFILL_ITEMS) {
        let line: String = item.chars().filter(|c| !c.is_control()).take(160).collect();
        out.push_str(&format!("#   - {line}\n"));
    }
    if items.len() > MAX_PREFILL_ITEMS {
        out.push_str(&format!(
            "#   ... and {} more\n",
            items.len().saturating_sub(MAX_PREFILL_ITEMS)
        ));
    }
}

/// A declaration template for `catalog`: every field, each with a comment saying what it is
/// for, the lab facts commented out until filled in, and what the assessment in `prefill`
/// found. It is valid TOML; it validates once the product identity is filled in.
pub fn template(catalog: &Catalog, prefill: &Prefill) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "# Hallmark manufacturer declaration, format {FORMAT}\n\
         # (see docs/declaration-format.md).\n\
         #\n\
         # Claims and facts here are combined with what tests find: test evidence outranks\n\
         # claims, and a claim that contradicts a failed test is reported as a contradiction.\n\
         # The requirements decided from declared content ({})\n\
         # pass only when the content is present and valid. Uncomment and fill in what\n\
         # applies; leave out what you cannot state (the requirement then stays INCONCLUSIVE,\n\
         # naming the missing field). Dates are written 2030-12-31; URLs must be https://.\n\n",
        DECLARATION_DECIDED
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    t.push_str(&format!(
        "# The format and version of this file. Required.\nformat = \"{FORMAT}\"\n\n"
    ));

    t.push_str(
        "[declaration]\n\
         # The date this statement was made (not in the future).\n\
         # issued = 2026-01-31\n\
         # The last date it holds; a declaration past it is rejected. Optional.\n\
         # valid_until = 2027-01-31\n\
         # Who makes the statement (team and organisation).\n\
         # author = \"Product Security Team, Example Networks Ltd\"\n\n",
    );

    t.push_str("[product]\n# Required: who made the device and what it is.\n");
    t.push_str(
        "manufacturer = \"\"\n# The model designation as printed on the device.\nmodel = \"\"\n",
    );
    t.push_str(
        "# The hardware revision, when several exist. Optional.\n# hardware_revision = \"B\"\n",
    );
    t.push_str("# The firmware version this declaration is for.\nfirmware_version = \"\"\n");
    t.push_str(
        "# SHA-256 of the firmware image file: `hallmark assess --declaration` refuses a\n\
         # declaration for another image.\n",
    );
    match (&prefill.image_sha256, &prefill.image_name) {
        (Some(sha), name) => {
            if let Some(name) = name {
                t.push_str(&format!("# (computed from {})\n", name.replace('\n', " ")));
            }
            t.push_str(&format!("image_sha256 = {}\n", quoted(sha)));
        }
        (None, _) => t.push_str("image_sha256 = \"\"\n"),
    }
    if let Some(os) = &prefill.os {
        detected(
            &mut t,
            "Detected in the image: operating system",
            std::slice::from_ref(os),
        );
    }
    let components: Vec<String> = prefill
        .components
        .iter()
        .map(|(name, version)| match version {
            Some(v) => format!("{name} {v}"),
            None => format!("{name} (version unknown)"),
        })
        .collect();
    detected(
        &mut t,
        "Detected in the image: software components (your published SBOM should list them all)",
        &components,
    );
    t.push('\n');

    t.push_str(
        "[support]\n\
         # ECD-1.7, ECD-5.4, PSTI Schedule 1 paragraph 3: the last day on which security\n\
         # updates are provided. A date in the past fails both requirements.\n\
         # end_date = 2031-12-31\n\
         # Where the support period is published for customers.\n\
         # published_at = \"https://example.com/support/lifecycle\"\n\n",
    );

    t.push_str(
        "[disclosure]\n\
         # ECD-1.7, PSTI Schedule 1 paragraph 2: where to report vulnerabilities\n\
         # (mailto: address or https:// form).\n\
         # contact = \"mailto:security@example.com\"\n\
         # The published vulnerability disclosure policy.\n\
         # policy_url = \"https://example.com/security/disclosure-policy\"\n\
         # Days within which a reporter gets an acknowledgement, and between status updates.\n\
         # acknowledgement_days = 5\n\
         # status_update_days = 30\n\
         # Your /.well-known/security.txt (RFC 9116), verbatim. Optional; when given it must\n\
         # have a Contact and an Expires date in the future.\n\
         # security_txt = \"\"\"\n\
         # Contact: mailto:security@example.com\n\
         # Expires: 2027-01-31T00:00:00Z\n\
         # Policy: https://example.com/security/disclosure-policy\n\
         # \"\"\"\n\n",
    );

    t.push_str(
        "[transparency]\n\
         # ECD-5.4: where this release's machine-readable SBOM is published, and its format\n\
         # (cyclonedx or spdx). `hallmark sbom IMAGE` writes one.\n\
         # sbom_url = \"https://example.com/security/sbom/xr100-1.4.2.cdx.json\"\n\
         # sbom_format = \"cyclonedx\"\n\
         # Where machine-readable advisories (CSAF) or VEX statements are published.\n\
         # advisories_url = \"https://example.com/security/csaf/\"\n\n",
    );

    t.push_str("[updates]\n");
    detected(
        &mut t,
        "Detected in the image: update mechanisms",
        &prefill.updates,
    );
    t.push_str(
        "# ECD-1.6: how security updates are applied: automatic (by default), scheduled (on a\n\
         # schedule the organisation sets) or manual (only when an administrator acts; fails).\n\
         # mode = \"automatic\"\n\
         # How often the device checks for updates, in hours.\n\
         # check_interval_hours = 24\n\
         # Whether administrators can defer an update, and for at most how many days.\n\
         # admin_can_defer = true\n\
         # max_deferral_days = 30\n\
         # Whether updates can come from a local mirror or central management system.\n\
         # local_mirror = true\n\
         # How administrators learn that an update is available and what it fixes.\n\
         # notification = \"E-mail and SNMP trap to the configured administrators, with release notes\"\n\
         # How administrators stage, schedule and roll out updates.\n\
         # admin_control = \"Update policy page and management API: channel, window, staging groups\"\n\n",
    );

    t.push_str(
        "[credentials]\n\
         # ECD-2.1, PSTI Schedule 1 paragraph 1: how each unit's default credential is made\n\
         # unique: unique_per_device, set_at_first_use or external_identity. If tests find a\n\
         # universal default credential, this statement is reported as a contradiction.\n\
         # method = \"unique_per_device\"\n\
         # How it is generated (not from serial numbers, MAC addresses or counters).\n\
         # description = \"Random 12-character password from the factory HSM, printed on the label\"\n\n",
    );

    t.push_str("[hardware]\n");
    detected(
        &mut t,
        "Detected in the image: boot and recovery mechanisms",
        &prefill.recovery,
    );
    t.push_str(
        "# ECD-4.1: whether the boot chain verifies signatures from a hardware root of trust on\n\
         # production units: enforced, disabled (fails ECD-4.1) or not_supported (fails it).\n\
         # secure_boot = \"enforced\"\n\
         # ECD-4.5: where device keys are held: secure_element, tpm, tee, encrypted_flash or\n\
         # plain_flash (fails ECD-4.5).\n\
         # key_storage = \"secure_element\"\n\
         # ECD-4.5, ECD-8.3: JTAG/SWD on production units: absent, fused, locked (signed unlock\n\
         # only) or open (fails both).\n\
         # debug_ports = \"fused\"\n\
         # ECD-8.3: the serial console: absent, disabled, login or open (fails ECD-8.3).\n\
         # serial_console = \"login\"\n\
         # ECD-4.5: whether flash read-out protection is enabled on production units.\n\
         # flash_readout_protection = true\n\
         # ECD-4.5: which physical threats the design addresses (tamper evidence, switches).\n\
         # physical_threats = \"Tamper-evident enclosure; keys in the secure element\"\n\n",
    );

    t.push_str("[logging]\n");
    detected(&mut t, "Detected in the image: logging", &prefill.logging);
    t.push_str(
        "# Principle 10, recorded for the lab: whether security logs survive a reboot, their\n\
         # capacity and retention, forwarding to an enterprise collector over a protected\n\
         # channel, and whether only administrators can clear them.\n\
         # persistent = true\n\
         # retention = \"10,000 events in a ring buffer on flash; oldest dropped, drop recorded\"\n\
         # remote_forwarding = true\n\
         # clear_requires_admin = true\n\n",
    );

    t.push_str(
        "[recovery]\n\
         # Principle 11: every recovery path (bootloader TFTP or USB, web failsafe, reset\n\
         # button), in words.\n\
         # mechanisms = \"A/B slots with boot counter; USB recovery from the bootloader\"\n\
         # ECD-11.4: whether every recovery path accepts only manufacturer-signed images\n\
         # (false fails it; true against a failed test is a contradiction).\n\
         # authenticated = true\n\
         # Whether recovery refuses older vulnerable versions.\n\
         # anti_rollback = true\n\
         # The documented procedure.\n\
         # procedure_url = \"https://example.com/docs/xr100/recovery\"\n\n",
    );

    t.push_str(
        "[documentation]\n\
         # ECD-9.5: the published deployment documents.\n\
         # deployment_guide = \"https://example.com/docs/xr100/secure-deployment\"\n\
         # network_requirements = \"https://example.com/docs/xr100/ports-and-endpoints\"\n\
         # installation_verification = \"https://example.com/docs/xr100/verify-installation\"\n\
         # asset_inventory = \"https://example.com/docs/xr100/inventory-snmp\"\n\
         # ECD-9.2: the hardening guide and secure baseline. Optional.\n\
         # hardening_guide = \"https://example.com/docs/xr100/hardening\"\n\n",
    );

    t.push_str(
        "# Claims, one [[claim]] per requirement, as in an ETSI TS 103 701 implementation\n\
         # conformance statement: status supported, not_supported or not_applicable (the last\n\
         # two need a justification), with references to where it is substantiated.\n\
         # A `not_supported` claim fails a requirement the tests left open; `supported` or\n\
         # `not_applicable` against a failed test is reported as a contradiction.\n\
         #\n\
         # [[claim]]\n\
         # requirement = \"ECD-1.7\"\n\
         # status = \"supported\"\n\
         # justification = \"Support period and disclosure policy published on the product page\"\n\
         # [[claim.evidence]]\n\
         # document = \"XR-100 product security policy\"\n\
         # url = \"https://example.com/security/xr100-policy.pdf\"\n\
         # section = \"3.2\"\n\
         #\n\
         # Requirements whose evidence includes the manufacturer's declaration:\n",
    );
    for requirement in &catalog.requirements {
        if !requirement.evidence.contains(&EvidenceKind::Declaration) {
            continue;
        }
        let tested = match prefill.verdicts.get(&requirement.id) {
            Some(Verdict::Fail) => " [tested FAIL: do not claim supported]",
            Some(Verdict::Pass) => " [tested PASS]",
            _ => "",
        };
        t.push_str(&format!(
            "#   {:<9} {}{tested}\n",
            requirement.id, requirement.title
        ));
    }
    let failed: Vec<&String> = prefill
        .verdicts
        .iter()
        .filter(|(_, v)| **v == Verdict::Fail)
        .map(|(id, _)| id)
        .collect();
    if !failed.is_empty() {
        let mut ids: Vec<&String> = failed;
        ids.sort_by(|a, b| hallmark_catalog::natural_cmp(a, b));
        let mut line = String::from("# The assessment FAILED:");
        for id in ids {
            if line.len() > 80 {
                t.push_str(&line);
                t.push('\n');
                line = String::from("#  ");
            }
            line.push(' ');
            line.push_str(id);
        }
        t.push_str(&line);
        t.push('\n');
    }
    t
}
