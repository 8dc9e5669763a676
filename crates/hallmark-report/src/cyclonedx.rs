//! CycloneDX 1.6 JSON.
//!
//! The image is `metadata.component` (type `firmware`) and holds its files as nested
//! components of type `file` (nesting is containment in CycloneDX). The identified software is
//! in `components`, each with its PURL, CPE and `evidence` (identity methods and occurrences,
//! the file and byte offset or line); `dependencies` records that the image ships each one.

use serde_json::{Value, json};

use crate::{Kind, Sbom, document_uuid, kind, method_text};

/// The SBOM as a CycloneDX 1.6 JSON document.
pub fn cyclonedx(sbom: &Sbom) -> Value {
    let files: Vec<Value> = sbom
        .files
        .iter()
        .map(|file| {
            json!({
                "type": "file",
                "bom-ref": format!("file:{}", file.name),
                "name": file.name,
                "hashes": [
                    {"alg": "SHA-1", "content": file.sha1},
                    {"alg": "SHA-256", "content": file.sha256},
                ],
            })
        })
        .collect();
    let mut image = json!({
        "type": "firmware",
        "bom-ref": "image",
        "name": sbom.subject.name,
        "hashes": [{"alg": "SHA-256", "content": sbom.subject.sha256}],
        "properties": [
            {"name": "hallmark:size", "value": sbom.subject.size.to_string()},
        ],
    });
    if !files.is_empty()
        && let Some(object) = image.as_object_mut()
    {
        object.insert("components".into(), Value::Array(files));
    }
    let refs: Vec<String> = (1..=sbom.components.len())
        .map(|i| format!("component-{i}"))
        .collect();
    let components: Vec<Value> = sbom
        .components
        .iter()
        .zip(&refs)
        .map(|(component, bom_ref)| {
            let mut value = json!({
                "type": match kind(component) {
                    Kind::OperatingSystem => "operating-system",
                    Kind::Firmware => "firmware",
                    Kind::Library => "library",
                    Kind::Application => "application",
                },
                "bom-ref": bom_ref,
                "name": component.name,
                "purl": component.purl,
            });
            if let Some(object) = value.as_object_mut() {
                if let Some(version) = &component.version {
                    object.insert("version".into(), json!(version));
                }
                if let Some(cpe) = &component.cpe {
                    object.insert("cpe".into(), json!(cpe));
                }
                if let Some(evidence) = evidence(sbom, component) {
                    object.insert("evidence".into(), evidence);
                }
            }
            value
        })
        .collect();
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", document_uuid(sbom)),
        "version": 1,
        "metadata": {
            "timestamp": sbom.created,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "hallmark",
                    "version": sbom.tool_version,
                }],
            },
            "component": image,
        },
        "components": components,
        "dependencies": [{"ref": "image", "dependsOn": refs}],
    })
}

/// Identity evidence (how each piece identified the component) and where it was found.
fn evidence(sbom: &Sbom, component: &hallmark_model::facts::Component) -> Option<Value> {
    use hallmark_model::facts::IdentificationMethod;
    if component.evidence.is_empty() {
        return None;
    }
    let methods: Vec<Value> = component
        .evidence
        .iter()
        .map(|piece| {
            let (technique, confidence) = match piece.method {
                IdentificationMethod::PackageDb => ("manifest-analysis", 1.0),
                IdentificationMethod::Signature => ("binary-analysis", 0.8),
                IdentificationMethod::FileName => ("filename", 0.5),
            };
            json!({
                "technique": technique,
                "confidence": confidence,
                "value": format!("{}: {}", method_text(piece.method), piece.text),
            })
        })
        .collect();
    let confidence = methods
        .iter()
        .filter_map(|m| m.get("confidence").and_then(Value::as_f64))
        .fold(0.0, f64::max);
    let field = if component.version.is_some() {
        "version"
    } else {
        "name"
    };
    let occurrences: Vec<Value> = component
        .evidence
        .iter()
        .map(|piece| {
            let (location, offset, line) = sbom.occurrence(&piece.location);
            let mut value = json!({"location": location, "additionalContext": piece.text});
            if let Some(object) = value.as_object_mut() {
                if let Some(offset) = offset {
                    object.insert("offset".into(), json!(offset));
                }
                if let Some(line) = line {
                    object.insert("line".into(), json!(line));
                }
            }
            value
        })
        .collect();
    Some(json!({
        "identity": [{
            "field": field,
            "confidence": confidence,
            "concludedValue": component.version.as_deref().unwrap_or(&component.name),
            "methods": methods,
        }],
        "occurrences": occurrences,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample;

    #[test]
    fn image_files_components_and_evidence() {
        let bom = cyclonedx(&sample());
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["metadata"]["component"]["type"], "firmware");
        assert_eq!(
            bom["metadata"]["component"]["components"][0]["name"],
            "./bin/busybox"
        );
        let busybox = &bom["components"][0];
        assert_eq!(busybox["version"], "1.30.1");
        assert_eq!(
            busybox["cpe"],
            "cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*"
        );
        assert_eq!(
            busybox["evidence"]["occurrences"][0]["location"],
            "./bin/busybox"
        );
        assert_eq!(busybox["evidence"]["occurrences"][0]["offset"], 0x1234);
        let package = &bom["components"][1];
        assert_eq!(package["type"], "library");
        assert_eq!(package["evidence"]["occurrences"][0]["line"], 12);
        assert_eq!(
            package["evidence"]["identity"][0]["methods"][0]["technique"],
            "manifest-analysis"
        );
        // A component known by name only has no version and no CPE.
        let bare = &bom["components"][3];
        assert!(bare.get("version").is_none() && bare.get("cpe").is_none());
        assert_eq!(
            bom["dependencies"][0]["dependsOn"],
            json!(["component-1", "component-2", "component-3", "component-4"])
        );
    }
}
