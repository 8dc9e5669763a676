//! SPDX 2.3 JSON.
//!
//! The document DESCRIBES one package, the image (purpose FIRMWARE, files analysed), which
//! CONTAINS every file (SHA-1 and SHA-256) and every identified component. A component is a
//! package of its own (files not analysed) with PURL and CPE 2.3 external references; each
//! piece of its evidence is an OTHER relationship to the file it was found in, with what was
//! read as the comment.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::{Kind, Sbom, document_uuid, hex, kind, method_text};

/// The SBOM as an SPDX 2.3 JSON document.
pub fn spdx(sbom: &Sbom) -> Value {
    let file_ids: BTreeMap<&str, String> = sbom
        .files
        .iter()
        .enumerate()
        .map(|(i, file)| (file.name.as_str(), format!("SPDXRef-File-{}", i + 1)))
        .collect();
    let files: Vec<Value> = sbom
        .files
        .iter()
        .map(|file| {
            json!({
                "SPDXID": file_ids.get(file.name.as_str()),
                "fileName": file.name,
                "checksums": [
                    {"algorithm": "SHA1", "checksumValue": file.sha1},
                    {"algorithm": "SHA256", "checksumValue": file.sha256},
                ],
                "licenseConcluded": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            })
        })
        .collect();

    let mut image = json!({
        "SPDXID": "SPDXRef-Image",
        "name": sbom.subject.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": !sbom.files.is_empty(),
        "checksums": [{"algorithm": "SHA256", "checksumValue": sbom.subject.sha256}],
        "primaryPackagePurpose": "FIRMWARE",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "comment": format!("{} bytes, unpacked by Hallmark {}", sbom.subject.size, sbom.tool_version),
    });
    if !sbom.files.is_empty()
        && let Some(object) = image.as_object_mut()
    {
        object.insert(
            "packageVerificationCode".into(),
            json!({"packageVerificationCodeValue": verification_code(sbom)}),
        );
    }

    let mut relationships = vec![relationship(
        "SPDXRef-DOCUMENT",
        "DESCRIBES",
        "SPDXRef-Image",
    )];
    relationships.extend(
        file_ids
            .values()
            .map(|id| relationship("SPDXRef-Image", "CONTAINS", id)),
    );
    let mut packages = vec![image];
    for (i, component) in sbom.components.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        packages.push(package(&id, component));
        relationships.push(relationship("SPDXRef-Image", "CONTAINS", &id));
        for piece in &component.evidence {
            let (location, offset, line) = sbom.occurrence(&piece.location);
            let Some(file_id) = file_ids.get(location.as_str()) else {
                continue;
            };
            let place = match (offset, line) {
                (Some(offset), _) => format!(" at offset {offset:#x}"),
                (None, Some(line)) => format!(" on line {line}"),
                (None, None) => String::new(),
            };
            let mut evidence = relationship(&id, "OTHER", file_id);
            if let Some(object) = evidence.as_object_mut() {
                object.insert(
                    "comment".into(),
                    json!(format!(
                        "identified by {}{place}: {}",
                        method_text(piece.method),
                        piece.text
                    )),
                );
            }
            relationships.push(evidence);
        }
    }

    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("hallmark-sbom-{}", sbom.subject.name),
        "documentNamespace": format!(
            "https://example.invalid/hallmark/spdx/{}-{}",
            sanitize(&sbom.subject.name),
            document_uuid(sbom)
        ),
        "creationInfo": {
            "created": sbom.created,
            "creators": [format!("Tool: hallmark-{}", sbom.tool_version)],
        },
        "packages": packages,
        "files": files,
        "relationships": relationships,
    })
}

fn package(id: &str, component: &hallmark_model::facts::Component) -> Value {
    let mut refs = vec![json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": component.purl,
    })];
    if let Some(cpe) = &component.cpe {
        refs.push(json!({
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": cpe,
        }));
    }
    let mut value = json!({
        "SPDXID": id,
        "name": component.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": match kind(component) {
            Kind::OperatingSystem => "OPERATING-SYSTEM",
            Kind::Firmware => "FIRMWARE",
            Kind::Library => "LIBRARY",
            Kind::Application => "APPLICATION",
        },
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "externalRefs": refs,
    });
    if let Some(object) = value.as_object_mut() {
        if let Some(version) = &component.version {
            object.insert("versionInfo".into(), json!(version));
        }
        let how: Vec<&str> = component
            .evidence
            .iter()
            .map(|piece| method_text(piece.method))
            .collect();
        if !how.is_empty() {
            let mut how = how;
            how.dedup();
            object.insert(
                "sourceInfo".into(),
                json!(format!("identified by Hallmark from: {}", how.join(", "))),
            );
        }
    }
    value
}

fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

/// SPDX 2.3 section 7.9: SHA-1 over the sorted, concatenated SHA-1s of the package's files.
fn verification_code(sbom: &Sbom) -> String {
    let mut digests: Vec<&str> = sbom.files.iter().map(|f| f.sha1.as_str()).collect();
    digests.sort_unstable();
    hex(&Sha1::digest(digests.concat().as_bytes()))
}

/// The image name as it may appear in a URI path.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample;

    #[test]
    fn image_package_files_components_and_relationships() {
        let doc = spdx(&sample());
        assert_eq!(doc["packages"][0]["primaryPackagePurpose"], "FIRMWARE");
        assert_eq!(doc["files"][0]["fileName"], "./bin/busybox");
        let busybox = &doc["packages"][1];
        assert_eq!(busybox["versionInfo"], "1.30.1");
        assert_eq!(busybox["externalRefs"][1]["referenceType"], "cpe23Type");
        let relationships = doc["relationships"].as_array().cloned().unwrap_or_default();
        let evidence: Vec<&Value> = relationships
            .iter()
            .filter(|r| r["relationshipType"] == "OTHER")
            .collect();
        // busybox's binary and the opkg status file; the kernel's evidence is in a layer,
        // not a file, so it has no relationship.
        assert_eq!(evidence.len(), 2);
        assert_eq!(evidence[0]["relatedSpdxElement"], "SPDXRef-File-1");
        assert_eq!(
            evidence[0]["comment"],
            "identified by version string at offset 0x1234: BusyBox v1.30.1 (2020-05-01)"
        );
        assert_eq!(
            evidence[1]["comment"],
            "identified by package database entry on line 12: Package: libuci"
        );
    }

    #[test]
    fn verification_code_follows_the_specification() {
        // Two files: SHA-1 of the sorted concatenation of their SHA-1s.
        let doc = spdx(&sample());
        let expected = hex(&Sha1::digest(
            b"a9993e364706816aba3e25717850c26c9cd0d89dda39a3ee5e6b4b0d3255bfef95601890afd80709",
        ));
        assert_eq!(
            doc["packages"][0]["packageVerificationCode"]["packageVerificationCodeValue"],
            expected.as_str()
        );
    }
}
