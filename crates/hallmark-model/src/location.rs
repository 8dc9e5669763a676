use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One container layer on the way from the outer image to a file, e.g. the squashfs found at
/// offset `0x1A0000` inside a TRX image.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Layer {
    /// Format of this layer (`trx`, `squashfs`, `gzip`, ...).
    pub format: String,
    /// Byte offset of this layer inside its parent (the previous layer, or the input file).
    pub offset: u64,
    /// Name of the layer inside its parent, when the parent names its members (an archive entry
    /// or a file path), otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Transport protocol of a network endpoint.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        })
    }
}

/// Where something was seen.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// Inside a firmware image: the chain of container layers, then a path in the innermost file
    /// tree and/or a byte offset inside that file (or inside the innermost layer when there is
    /// no path).
    Image {
        /// Name of the input image as given by the user.
        image: String,
        /// Container layers from the outside in; empty when the path is in the input itself.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        chain: Vec<Layer>,
        /// Absolute path inside the innermost file tree, e.g. `/etc/shadow`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Byte offset inside the file (or layer) where the evidence starts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
        /// 1-based line number, for text files.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// A network endpoint of a live device.
    Endpoint {
        /// Host name or IP address as probed.
        host: String,
        /// Port, absent for host-level evidence (e.g. "host did not answer").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// Transport protocol.
        transport: Transport,
        /// Service identified on the port (`ssh`, `telnet`, `https`, ...), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
    },
    /// A manufacturer's declaration or other document.
    Document {
        /// Path of the document as given by the user.
        path: String,
        /// 1-based line number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
        /// Dotted field name inside the document, e.g. `support.end_date`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
}

impl Location {
    /// A path inside an image with no container layers.
    pub fn file(image: impl Into<String>, path: impl Into<String>) -> Location {
        Location::Image {
            image: image.into(),
            chain: Vec::new(),
            path: Some(path.into()),
            offset: None,
            line: None,
        }
    }

    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Location {
        Location::Endpoint {
            host: host.into(),
            port: Some(port),
            transport: Transport::Tcp,
            service: None,
        }
    }
}

impl fmt::Display for Location {
    /// Compact, human form: `fw.bin > trx@0x0 > squashfs@0x1c0000:/etc/shadow:3`,
    /// `192.0.2.10:23/tcp (telnet)`, `declaration.toml:12 support.end_date`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Image {
                image,
                chain,
                path,
                offset,
                line,
            } => {
                f.write_str(image)?;
                for layer in chain {
                    write!(f, " > {}@{:#x}", layer.format, layer.offset)?;
                    if let Some(name) = &layer.name {
                        write!(f, "[{name}]")?;
                    }
                }
                if let Some(path) = path {
                    write!(f, ":{path}")?;
                }
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                if let Some(offset) = offset {
                    write!(f, " +{offset:#x}")?;
                }
                Ok(())
            }
            Location::Endpoint {
                host,
                port,
                transport,
                service,
            } => {
                let bracketed = host.contains(':');
                match (port, bracketed) {
                    (Some(p), true) => write!(f, "[{host}]:{p}/{transport}")?,
                    (Some(p), false) => write!(f, "{host}:{p}/{transport}")?,
                    (None, _) => write!(f, "{host}")?,
                }
                if let Some(service) = service {
                    write!(f, " ({service})")?;
                }
                Ok(())
            }
            Location::Document { path, line, field } => {
                f.write_str(path)?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                if let Some(field) = field {
                    write!(f, " {field}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_container_chain_path_and_offset() {
        let loc = Location::Image {
            image: "fw.bin".into(),
            chain: vec![
                Layer {
                    format: "trx".into(),
                    offset: 0,
                    name: None,
                },
                Layer {
                    format: "squashfs".into(),
                    offset: 0x1c_0000,
                    name: None,
                },
            ],
            path: Some("/etc/shadow".into()),
            offset: None,
            line: Some(3),
        };
        assert_eq!(
            loc.to_string(),
            "fw.bin > trx@0x0 > squashfs@0x1c0000:/etc/shadow:3"
        );
    }

    #[test]
    fn displays_endpoints_including_ipv6() {
        assert_eq!(
            Location::tcp("192.0.2.10", 23).to_string(),
            "192.0.2.10:23/tcp"
        );
        let v6 = Location::Endpoint {
            host: "::1".into(),
            port: Some(22),
            transport: Transport::Tcp,
            service: Some("ssh".into()),
        };
        assert_eq!(v6.to_string(), "[::1]:22/tcp (ssh)");
    }

    #[test]
    fn json_is_tagged_by_kind() {
        let json = serde_json::to_value(Location::file("a.img", "/etc/passwd")).unwrap();
        assert_eq!(json["kind"], "image");
        assert_eq!(json["path"], "/etc/passwd");
        assert!(json.get("chain").is_none(), "empty chain is omitted");
        let back: Location = serde_json::from_value(json).unwrap();
        assert_eq!(back, Location::file("a.img", "/etc/passwd"));
    }
}
