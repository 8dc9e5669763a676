//! Facts: what collectors observed about a device, each with where it was seen.
//!
//! Facts are observations, not judgements: "dropbear is started with `-B`", "root's password
//! is the MD5-crypt hash of `admin`", "`/usr/sbin/x` has an executable stack". Checks read
//! facts and decide verdicts. A firmware image, a live device and a declaration all produce
//! the same model, so one check judges any of them.
//!
//! Every collection of facts comes with a [`Coverage`] entry saying whether its collector ran
//! and over what: an empty list of accounts means "no accounts" only when the accounts
//! collector ran over a root filesystem; otherwise it means "unknown", and checks must say
//! INCONCLUSIVE.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::location::Location;
pub use crate::vulns::{
    Cvss, KevEntry, MatchMethod, MatchedComponent, NotAssessed, SnapshotInfo, Suppression,
    VulnMatch, VulnScan,
};

/// Everything known about one subject (an image, a device, or both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Facts {
    /// Which collectors ran, by collector id, and how far they got.
    #[serde(default)]
    pub coverage: BTreeMap<String, Coverage>,
    /// What the firmware image contained, when an image was assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageFacts>,
    /// Local accounts and their credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<Account>,
    /// Private and public keys, certificates, authorised keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyMaterial>,
    /// Credentials and secrets written into files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// ELF executables and libraries with their hardening.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<Binary>,
    /// Services started on the device, and their settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// Remote endpoints named in configuration (URLs the device talks to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<RemoteEndpoint>,
    /// Software update mechanisms and their settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<UpdateMechanism>,
    /// Files with notable permissions (world-writable, setuid, setgid).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Logging configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logging: Vec<Logging>,
    /// Recovery and factory-reset means.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery: Vec<Recovery>,
    /// Operating system kernels seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernels: Vec<Kernel>,
    /// Web request handlers (CGI and page scripts) that pass request input to a command
    /// interpreter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub injections: Vec<CommandInjection>,
    /// Notable programs, libraries, kernel modules and policies present, by what they are for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// What the device does on its own with physical ports: handlers that run or install
    /// content from removable media, USB gadget functions enabled at boot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_handlers: Vec<PortHandler>,
    /// Secrets passed to logs: scripts that log secret variables, programs with format strings
    /// that print secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_leaks: Vec<LogLeak>,
    /// How firmware is stored, switched, rewritten and recovered: slots, boot counters,
    /// in-place writers, recovery modes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boot: Vec<BootMechanism>,
    /// Software components identified (from package databases, version strings in binaries
    /// and file names), each with the evidence of how it was identified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Known vulnerabilities of the components, from the offline vulnerability store. `None`
    /// when no vulnerability data was available (nothing imported, or not asked for): then
    /// nothing is known about vulnerabilities, which is not the same as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<VulnScan>,
    /// The date the facts are judged at (`YYYY-MM-DD`), for what depends on it (a
    /// component's upstream end of life). `None` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_on: Option<String>,
    /// Live evidence: network services that answered a probe of the device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_services: Vec<NetworkService>,
    /// Live evidence: TLS endpoints and what their handshakes accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_endpoints: Vec<TlsEndpoint>,
    /// Live evidence: SSH servers and the algorithms they offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_endpoints: Vec<SshEndpoint>,
    /// Live evidence: HTTP responses of web servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_endpoints: Vec<HttpEndpoint>,
    /// Live evidence: access attempts (default credentials, anonymous and unauthenticated
    /// access) and their results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_attempts: Vec<AccessAttempt>,
    /// Live evidence: how login services answered a bounded series of wrong passwords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub login_throttles: Vec<LoginThrottle>,
}

impl Facts {
    /// The coverage of collector `id`, if it ran.
    pub fn coverage(&self, id: &str) -> Option<&Coverage> {
        self.coverage.get(id)
    }

    /// Whether collector `id` ran over a complete enough input for an empty result to mean
    /// "none": it ran, found what it looks in, and nothing stopped it early.
    pub fn covered(&self, id: &str) -> bool {
        self.coverage
            .get(id)
            .is_some_and(|c| c.status == CoverageStatus::Complete)
    }

    /// Appends what `other` holds (collectors that ran separately, merged in a fixed order so
    /// the result does not depend on scheduling). `other`'s image summary and coverage
    /// records replace this one's where both have them.
    pub fn absorb(&mut self, other: Facts) {
        // Destructured in full, so that a new field cannot be forgotten here.
        let Facts {
            coverage,
            image,
            accounts,
            keys,
            secrets,
            binaries,
            services,
            endpoints,
            updates,
            permissions,
            logging,
            recovery,
            kernels,
            injections,
            tools,
            port_handlers,
            log_leaks,
            boot,
            components,
            vulnerabilities,
            assessed_on,
            network_services,
            tls_endpoints,
            ssh_endpoints,
            http_endpoints,
            access_attempts,
            login_throttles,
        } = other;
        self.coverage.extend(coverage);
        if image.is_some() {
            self.image = image;
        }
        self.accounts.extend(accounts);
        self.keys.extend(keys);
        self.secrets.extend(secrets);
        self.binaries.extend(binaries);
        self.services.extend(services);
        self.endpoints.extend(endpoints);
        self.updates.extend(updates);
        self.permissions.extend(permissions);
        self.logging.extend(logging);
        self.recovery.extend(recovery);
        self.kernels.extend(kernels);
        self.injections.extend(injections);
        self.tools.extend(tools);
        self.port_handlers.extend(port_handlers);
        self.log_leaks.extend(log_leaks);
        self.boot.extend(boot);
        self.components.extend(components);
        if vulnerabilities.is_some() {
            self.vulnerabilities = vulnerabilities;
        }
        if assessed_on.is_some() {
            self.assessed_on = assessed_on;
        }
        self.network_services.extend(network_services);
        self.tls_endpoints.extend(tls_endpoints);
        self.ssh_endpoints.extend(ssh_endpoints);
        self.http_endpoints.extend(http_endpoints);
        self.access_attempts.extend(access_attempts);
        self.login_throttles.extend(login_throttles);
    }
}

/// How far one collector got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// Complete, partial or not run.
    pub status: CoverageStatus,
    /// How many items (files, binaries, lines) it examined.
    pub examined: u64,
    /// Why it is partial or did not run, when it is not complete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whether a collector's view was complete.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// It examined everything it looks at.
    Complete,
    /// It ran, but part of its input was missing or a budget stopped it.
    Partial,
    /// Its input does not exist here (e.g. no root filesystem was found).
    NotRun,
}

/// What the firmware image was made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageFacts {
    /// Name of the image as given.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the image, lowercase hex.
    pub sha256: String,
    /// Formats of the layers found, outermost first (e.g. `tplink`, `lzma`, `squashfs`).
    pub layers: Vec<String>,
    /// File trees found (archives and filesystems) and their size in files.
    pub trees: Vec<TreeSummary>,
    /// The operating system the contents indicate (`linux`, `vxworks`, ...), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Limits reached and damage seen while unpacking: the view of the image is incomplete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// One file tree of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TreeSummary {
    /// Where the tree is (its layer chain).
    pub location: Location,
    /// Format of the tree (`squashfs`, `tar`, ...).
    pub format: String,
    /// Number of regular files.
    pub files: u64,
    /// Whether it looks like a root filesystem (has `/etc`, `/bin` or `/sbin`, ...).
    pub rootfs: bool,
}

/// A local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// User id, when the passwd entry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Login shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    /// The password as the image stores it.
    pub password: Password,
    /// Where the account (its password field) was read.
    pub location: Location,
    /// Where the matching passwd entry was, when the password came from a shadow file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passwd_location: Option<Location>,
    /// Names of the groups the account is in, from the group file beside its passwd file: its
    /// primary group (by gid) first, then the groups that list it as a member, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// The state of an account's password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Password {
    /// No password: login needs none.
    Empty,
    /// Locked or disabled (`*`, `!`, `!!`, `x` without a shadow entry, ...).
    Locked {
        /// The field as written.
        field: String,
    },
    /// A crypt(3) hash.
    Hash {
        /// The scheme.
        scheme: HashScheme,
        /// The hash string as written.
        hash: String,
        /// What testing it against the dictionary found.
        crack: Crack,
    },
    /// A value that is not a known hash format (possibly a plaintext password).
    Unrecognised {
        /// The field as written.
        field: String,
    },
}

/// crypt(3) hash schemes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HashScheme {
    /// Traditional DES crypt (13 characters, 8-character passwords).
    Des,
    /// MD5-crypt (`$1$`, and Apache's `$apr1$` variant of it).
    Md5,
    /// SHA-256-crypt (`$5$`).
    Sha256,
    /// SHA-512-crypt (`$6$`).
    Sha512,
    /// bcrypt (`$2a$`, `$2b$`, `$2y$`).
    Bcrypt,
    /// yescrypt (`$y$`).
    Yescrypt,
    /// `{SHA}` and `{SSHA}` (htpasswd, LDAP): one SHA-1 over the password (and a salt), base64.
    Sha1,
    /// mosquitto_passwd's `$6$<salt>$<hash>` in base64: one SHA-512 over the password and a
    /// salt (not SHA-512-crypt, despite the `$6$`).
    Mosquitto,
    /// Another recognised scheme: another `$id$` (`$md5$`, `$sha1$`, `$7$`, `$gy$`,
    /// `$argon2id$`, ...) or BSDi extended DES (`_...`).
    Other,
}

impl HashScheme {
    /// Whether the scheme is considered weak today (fast, unsalted or truncating).
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            HashScheme::Des | HashScheme::Md5 | HashScheme::Sha1 | HashScheme::Mosquitto
        )
    }
}

/// The outcome of testing a hash against the bundled dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Crack {
    /// The password is this dictionary entry.
    Found {
        /// The password.
        password: String,
        /// Why it is in the dictionary (e.g. `vendor default`, `common`, `user name`).
        source: String,
    },
    /// No candidate matched.
    NotFound {
        /// How many candidates were tried.
        tried: u64,
        /// Whether they were the whole dictionary; otherwise only the likely candidates
        /// (vendor defaults, botnet lists, user-name variants, the most common passwords).
        full: bool,
    },
    /// The CPU budget ran out before the dictionary was exhausted.
    BudgetExhausted {
        /// How many candidates were tried.
        tried: u64,
    },
    /// The scheme is not supported by the cracker.
    Unsupported,
}

/// Key material or a certificate found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyMaterial {
    /// What it is.
    pub kind: KeyKind,
    /// Encoding (`pem-pkcs1`, `pem-pkcs8`, `pem-pkcs8-encrypted`, `pem-sec1`, `openssh`,
    /// `dropbear`, `pkcs12`, `der`, `x509-pem`, `x509-der`, `authorized_keys`, ...).
    pub format: String,
    /// Key algorithm (`rsa`, `ec`, `ed25519`, `dsa`), when parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Key size in bits (modulus for RSA, curve size for EC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// Elliptic curve name, for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// Whether a private key is protected by a passphrase; `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Public-key fingerprint, `SHA256:<base64>` as OpenSSH prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Whether the content parsed as key material; `false` for armour without a valid body.
    pub parsed: bool,
    /// Certificate details, for certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Comment (OpenSSH public keys), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Where it was found.
    pub location: Location,
}

/// Kinds of key material.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A private key.
    PrivateKey,
    /// A public key on its own.
    PublicKey,
    /// An X.509 certificate.
    Certificate,
    /// A public key authorised to log in (an `authorized_keys` entry).
    AuthorizedKey,
    /// Armour or a container signature of key material whose content does not parse
    /// (`format` says what it claims to be, `parsed` is false): documentation examples,
    /// truncated or damaged keys. Never counted as a key.
    Unparsed,
}

/// X.509 certificate details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Certificate {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whether the certificate is signed by its own key.
    pub self_signed: bool,
    /// Whether it is a CA certificate (basic constraints).
    pub ca: bool,
    /// Signature algorithm (`sha256WithRSAEncryption`, ...).
    pub signature_algorithm: String,
    /// sha256 of the DER encoding, colon-separated uppercase hex as OpenSSL prints it.
    pub sha256: String,
}

/// A credential or secret written into a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Secret {
    /// The rule that found it (e.g. `aws-access-key`, `url-credentials`, `netrc-password`).
    pub rule: String,
    /// Kind of secret (`password`, `api_key`, `wifi_psk`, `snmp_community`, ...).
    pub kind: String,
    /// Service or purpose it is for, when known (`http`, `mqtt`, `snmp`, `wifi`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// User name paired with it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The value with all but a few characters masked.
    pub masked: String,
    /// Whether the value is a well-known default or dictionary word (`admin`, `public`, ...).
    pub well_known: bool,
    /// Where it was found (file and line).
    pub location: Location,
}

/// An ELF file and its exploit mitigations. `None` means "could not tell" (or "does not
/// apply", as said per field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Binary {
    /// Where it is.
    pub location: Location,
    /// ELF type: `exec`, `dyn`, `rel`, `core`, or the number for others.
    pub elf_type: String,
    /// Machine (`arm`, `aarch64`, `mips`, `x86_64`, ...).
    pub machine: String,
    /// 32 or 64.
    pub class: u8,
    /// `little` or `big`.
    pub endian: String,
    /// Whether it is a shared library rather than an executable: `dyn` with no program
    /// interpreter and not flagged PIE. A library that is also runnable (`libc.so.6`, which has
    /// an interpreter) counts as a PIE executable; its `soname` still shows it is a library.
    pub library: bool,
    /// Position-independent executable: `dyn` with a program interpreter or the `DF_1_PIE`
    /// flag. `None` for libraries, relocatable objects and core files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pie: Option<bool>,
    /// Non-executable stack: `PT_GNU_STACK` without the execute flag. A missing
    /// `PT_GNU_STACK` counts as an executable stack (`false`), which is what the Linux kernel
    /// gives such programs on most architectures. `None` without program headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nx: Option<bool>,
    /// RELRO: `none` (no `PT_GNU_RELRO`), `partial`, or `full` (with immediate binding:
    /// `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW`). `None` without program headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relro: Option<String>,
    /// Stack protector: `__stack_chk_fail`, `__stack_chk_fail_local` or `__stack_chk_guard`
    /// among the dynamic or static symbols. `None` when there are no symbols to look at
    /// (a stripped static binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<bool>,
    /// FORTIFY_SOURCE: a `__*_chk` function among the symbols. `None` as for `canary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fortify: Option<bool>,
    /// DT_RPATH directories, in order (each entry split at `:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rpath: Vec<String>,
    /// DT_RUNPATH directories, in order (each entry split at `:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runpath: Vec<String>,
    /// No `.symtab` section.
    pub stripped: bool,
    /// Statically linked: no program interpreter and no `DT_NEEDED` library (the dynamic
    /// loader itself and static-PIE programs count as static).
    pub static_linked: bool,
    /// DT_SONAME, for shared libraries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// The program interpreter (`PT_INTERP`), e.g. `/lib/ld-musl-armhf.so.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// DT_NEEDED libraries, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needed: Vec<String>,
}

/// A service started on the device (a daemon, an inetd entry, a console shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Service {
    /// What it provides: `telnet`, `ssh`, `ftp`, `http`, `snmp`, `upnp`, `tr069`, `tftp`,
    /// `console`, `mqtt`, ... or the daemon's name when unknown.
    pub service: String,
    /// The program started (`/usr/sbin/telnetd`, `busybox telnetd`, ...).
    pub program: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// What starts it: `inittab`, `init-script`, `systemd`, `inetd`, `procd`, `init`,
    /// `config` (settings from a configuration file only).
    pub started_by: String,
    /// Normalised settings the collector understood (e.g. `anonymous=yes`,
    /// `login_program=/bin/sh`, `blank_passwords=yes`, `tls=no`, `community=public`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// Where it is started or configured (file and line).
    pub location: Location,
}

/// A URL the device is configured to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RemoteEndpoint {
    /// The URL with any credentials masked.
    pub url: String,
    /// Its scheme (`http`, `https`, `mqtt`, `ftp`, ...).
    pub scheme: String,
    /// Whether the scheme protects the connection (TLS or SSH).
    pub encrypted: bool,
    /// Where it is configured (file and line).
    pub location: Location,
}

/// A software update mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateMechanism {
    /// `opkg`, `apk`, `swupdate`, `rauc`, `mender`, `sysupgrade`, `script`, ...
    pub mechanism: String,
    /// Whether updates are verified with a signature; `None` when not determinable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_verified: Option<bool>,
    /// Update sources (URLs) seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Whether TLS certificate checking is switched off (`curl -k`, `--no-check-certificate`).
    pub tls_verification_disabled: bool,
    /// Verification keys shipped for it (paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Where it was seen.
    pub location: Location,
}

/// A file with notable permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Permission {
    /// What is notable: `world_writable`, `setuid`, `setgid`.
    pub kind: String,
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// `file` or `dir`.
    pub file_type: String,
    /// Whether the file is executed at boot (named by an init script or inittab).
    pub run_at_boot: bool,
    /// Where it is.
    pub location: Location,
}

/// Logging configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Logging {
    /// The logging daemon or mechanism (`syslogd`, `rsyslog`, `syslog-ng`, `logd`, `journald`).
    pub mechanism: String,
    /// Remote log destinations configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote: Vec<String>,
    /// Where it was seen.
    pub location: Location,
}

/// A recovery or factory-reset means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Recovery {
    /// `factory-reset`, `ab-slots`, `recovery-partition`, `firstboot`, ...
    pub mechanism: String,
    /// Where it was seen.
    pub location: Location,
}

/// A notable program, library, kernel module or policy file in the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// What it is for (see [`ToolCategory`]).
    pub category: ToolCategory,
    /// Its name as installed (`gdbserver`, `ntpd`, `pam_faillock.so`, `dm-verity.ko`).
    pub name: String,
    /// Where; a symbolic link (a BusyBox applet) is reported where the link is.
    pub location: Location,
}

/// What a notable tool is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ToolCategory {
    /// Debuggers, tracers, packet capture, memory pokers, vendor debug daemons.
    Debug,
    /// Raw network pipes that make a remote shell easy (netcat, socat).
    Netcat,
    /// Clock synchronisation clients (NTP, SNTP, chrony, timesyncd).
    TimeSync,
    /// Packet filters (iptables, nftables, OpenWrt's fw3/fw4).
    Firewall,
    /// Mandatory access control (SELinux, AppArmor, Smack).
    AccessControl,
    /// Process sandboxes and containers (ujail, bubblewrap, minijail, LXC, runc).
    Sandbox,
    /// Storage encryption (dm-crypt, cryptsetup, fscrypt, eCryptfs).
    Encryption,
    /// File-system integrity (dm-verity, IMA/EVM, Android verified boot tools).
    Integrity,
    /// Trusted Platform Module support (drivers, tpm2 tools, attestation agents).
    Tpm,
    /// Login lockout after failed attempts (pam_faillock, pam_tally2, fail2ban, sshguard).
    Lockout,
    /// Enterprise identity clients (LDAP, RADIUS, Kerberos, SSSD, 802.1X supplicant).
    Identity,
    /// Network monitoring agents (SNMP agents, LLDP, flow exporters, metrics collectors).
    Monitoring,
}

/// Something the device does on its own with a physical port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PortHandler {
    /// `media-exec` (a handler runs a program or script found on removable media),
    /// `media-install` (it installs firmware or packages found there), `usb-gadget` (a USB
    /// device function, serial console or network adapter, enabled at boot).
    pub kind: String,
    /// What runs it: `udev`, `mdev`, `hotplug`, `hotplug2`, `procd`, `automount`, `boot`
    /// (an init script, or a script it calls), `modules` (a module list loaded at boot).
    pub trigger: String,
    /// What is run, installed or enabled: the path on the media (as written) or the gadget
    /// function (`g_serial`, `acm`, `rndis`, ...).
    pub what: String,
    /// The line, shortened.
    pub excerpt: String,
    /// The rule or script, and line.
    pub location: Location,
}

/// A secret that reaches a log, or may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LogLeak {
    /// `script` (a script passes a secret variable to a logging command) or `format-string`
    /// (a program carries a message format that prints a secret; whether the message is
    /// logged is not known).
    pub kind: String,
    /// The secret as named in the code (`$PASSWORD`, `password:%s`).
    pub secret: String,
    /// Where it goes: `logger`, `/var/log/...`, `/dev/kmsg`, or `message` for a format string.
    pub sink: String,
    /// The line or string, shortened (code, never a value).
    pub excerpt: String,
    /// The script and line, or the program and offset of the string.
    pub location: Location,
}

/// A way firmware is stored, switched, rewritten or recovered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BootMechanism {
    /// What it is:
    /// - `ab-slots`: two copies of the kernel or root filesystem (RAUC slots, Mender parts,
    ///   partition names);
    /// - `boot-counter`: boot counting and fallback (`bootcount`, `bootlimit`, `altbootcmd`,
    ///   `upgrade_available`);
    /// - `recovery-partition`: a separate recovery or rescue image;
    /// - `single-slot`: a complete partition list with one kernel and one root filesystem;
    /// - `in-place-write`: an update path that overwrites the running firmware partition;
    /// - `network-recovery`: a bootloader path that loads an image over the network (TFTP)
    ///   and boots or flashes it;
    /// - `web-recovery`: an emergency firmware-upload page or bootloader web failsafe;
    /// - `failsafe-console`: a recovery console entered by a button or key press at boot
    ///   (OpenWrt failsafe);
    /// - `signed-recovery`: a recovery or fallback path whose images are signature-checked.
    pub kind: String,
    /// Whether an image this path accepts is checked with a signature: `Some(false)` when it
    /// loads and boots or flashes one with no signature step, `None` when not determinable or
    /// not applicable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// What was seen, shortened: the variable, partition list, command or page.
    pub detail: String,
    /// Where (file and line, or bootloader and offset).
    pub location: Location,
}

/// A web request handler that passes request input to a command interpreter unsanitised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommandInjection {
    /// The handler's language: `shell`, `php` or `lua`.
    pub language: String,
    /// The request input that reaches the interpreter (`QUERY_STRING`, `$_GET`, a form
    /// field, the request body read from standard input, ...).
    pub input: String,
    /// The variables it passes through on the way, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// What interprets it: `eval`, `sh -c`, `system()`, `os.execute`, ...
    pub sink: String,
    /// The line, shortened.
    pub excerpt: String,
    /// The handler file and line.
    pub location: Location,
}

/// An operating-system kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Kernel {
    /// `linux`, `vxworks`, ...
    pub os: String,
    /// Version, e.g. `4.14.180`.
    pub version: String,
    /// The banner it was read from.
    pub banner: String,
    /// Where it was seen.
    pub location: Location,
}

/// A software component identified in the image: one name and version, with every piece of
/// evidence for it (the same component found in several files is one component).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Component {
    /// Name: the package name for a package-database entry (`busybox`, `libssl1.1`), the
    /// upstream project's name for a version string or a file name (`busybox`, `openssl`,
    /// `linux_kernel`).
    pub name: String,
    /// Version as identified: the package's own version for a package-database entry
    /// (`1.36.1-r15`, `1:1.30.1-6`), the upstream version otherwise (`1.36.1`). `None` when
    /// only the presence of the component is known (a file name or a string that carries no
    /// version): such a component is never a version match for anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL: `pkg:apk/alpine/...`, `pkg:deb/debian/...` or `pkg:opkg/...` for
    /// package-database entries (with `arch`, `upstream` and `distro` qualifiers when known),
    /// `pkg:generic/<name>@<version>` for the others; without `@version` when the version is
    /// unknown.
    pub purl: String,
    /// CPE 2.3 formatted string (`cpe:2.3:a:busybox:busybox:1.30.1:*:*:*:*:*:*:*`) with the
    /// upstream version, when the component is one whose NVD vendor and product are known.
    /// Absent when the version is unknown: a CPE without a version would stand for every
    /// version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// How it was identified, package databases first, at most a few pieces per method.
    pub evidence: Vec<ComponentEvidence>,
    /// Further pieces of evidence found but not listed (the same kernel version in hundreds
    /// of modules, say).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub evidence_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One piece of evidence for a [`Component`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ComponentEvidence {
    /// How it was identified.
    pub method: IdentificationMethod,
    /// Where: the package database and the line of the entry, the file (or decompressed
    /// layer) and the byte offset of the version string, or the file named.
    pub location: Location,
    /// What was read: the entry's `Package:`/`P:` line and version, the string around the
    /// match (printable, shortened), or the file name.
    pub text: String,
}

/// How a component was identified.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdentificationMethod {
    /// An entry of a package database (opkg, dpkg, apk).
    PackageDb,
    /// A version string inside a file or a decompressed layer.
    Signature,
    /// The name of a file (`libuClibc-0.9.33.2.so`, `ld-musl-armhf.so.1`).
    FileName,
}

/// A network service that answered a probe (live evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NetworkService {
    /// The endpoint (`Location::Endpoint`), with the service identified when known (`ssh`,
    /// `telnet`, `ftp`, `http`, `tls`, `mqtt`, `rtsp`, `pjl`, `snmp`, `ssdp`, ...).
    pub location: Location,
    /// What identified the service: `banner` (the server spoke first), `handshake` (it
    /// answered a protocol's opening message), `port` (only the port number suggests it).
    pub identified_by: String,
    /// The first bytes the service sent, printable and shortened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Product and version announced (`OpenSSH_9.2p1`, `nginx/1.22.1`), when announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Whether the service speaks TLS on this port.
    pub tls: bool,
}

/// A TLS endpoint and what its handshakes accepted (live evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TlsEndpoint {
    /// The endpoint.
    pub location: Location,
    /// Protocol versions the server accepted (`SSLv3`, `TLSv1.0`, `TLSv1.1`, `TLSv1.2`,
    /// `TLSv1.3`), oldest first.
    pub accepted_versions: Vec<String>,
    /// Versions tested and refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused_versions: Vec<String>,
    /// Cipher suites accepted, per version, in the order the server chose them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<TlsSuite>,
    /// Whether the server imposes its own suite order (`Some(false)`: it follows the client's
    /// order); `None` when not tested (fewer than two suites in a version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_order: Option<bool>,
    /// Size in bits of the smallest finite-field Diffie-Hellman group the server used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
    /// The certificate chain as sent, leaf first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<PeerCertificate>,
    /// What could not be tested, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One accepted TLS cipher suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TlsSuite {
    /// The protocol version it was accepted with.
    pub version: String,
    /// IANA code point.
    pub id: u16,
    /// IANA name (`TLS_RSA_WITH_AES_128_CBC_SHA`), or `0xNNNN` when unknown.
    pub name: String,
    /// Properties that matter for judging it: `anonymous`, `null`, `export`, `rc4`, `des`,
    /// `3des`, `static-rsa` (no forward secrecy), `cbc`, `sha1`, `md5`, `aead`,
    /// `forward-secrecy`.
    pub properties: Vec<String>,
}

/// A certificate a server presented (live evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PeerCertificate {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// X.509 version (1, 2 or 3).
    pub version: u32,
    /// Whether the issuer is the subject and the certificate is signed by its own key.
    pub self_signed: bool,
    /// Public key algorithm (`rsa`, `ec`, `ed25519`, `dsa`, ...).
    pub key_algorithm: String,
    /// Public key size in bits (modulus for RSA, field size for EC), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// Signature algorithm (`sha1WithRSAEncryption`, `ecdsa-with-SHA256`, ...).
    pub signature_algorithm: String,
    /// Subject alternative names (`DNS:...`, `IP:...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Whether a subject alternative name (or, without any, the common name) matches the
    /// host as probed.
    pub matches_host: bool,
    /// sha256 of the DER encoding, colon-separated uppercase hex.
    pub sha256: String,
}

/// An SSH server's offer, read from its KEXINIT without logging in (live evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SshEndpoint {
    /// The endpoint.
    pub location: Location,
    /// The identification line (`SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`).
    pub banner: String,
    /// Key exchange algorithms, in the server's order.
    pub kex: Vec<String>,
    /// Host key algorithms.
    pub host_key_algorithms: Vec<String>,
    /// Ciphers (client to server and server to client, merged in order).
    pub ciphers: Vec<String>,
    /// MACs (both directions, merged in order).
    pub macs: Vec<String>,
    /// Host keys fetched, one per host key algorithm that could be negotiated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_keys: Vec<SshHostKey>,
    /// The authentication methods the server lists for a login that offers none (`password`,
    /// `publickey`, `keyboard-interactive`); empty when they were not asked for or not learnt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_methods: Vec<String>,
    /// What could not be read, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An SSH host key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SshHostKey {
    /// The host key algorithm negotiated to fetch it (`ssh-rsa`, `ssh-ed25519`, ...).
    pub algorithm: String,
    /// The key type in the blob (`ssh-rsa`, `ssh-dss`, `ssh-ed25519`, `ecdsa-sha2-nistp256`).
    pub key_type: String,
    /// Key size in bits, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `SHA256:<base64>` as OpenSSH prints it.
    pub fingerprint: String,
}

/// One HTTP response of a web server (live evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpEndpoint {
    /// The endpoint.
    pub location: Location,
    /// Whether the request went over TLS.
    pub tls: bool,
    /// The path requested.
    pub path: String,
    /// The status code.
    pub status: u16,
    /// Response headers, names lowercased, in order; a repeated header keeps its first value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The authentication the server asks for (`basic`, `digest`, ... from
    /// `WWW-Authenticate`, or `form` for a page with a password field), when it asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    /// The page title, when the body has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// How a live login service answered a bounded series of wrong passwords for a user name no
/// device has (so no real account can be locked out): whether it limits or slows guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LoginThrottle {
    /// The endpoint.
    pub location: Location,
    /// How passwords were offered (`password`, `keyboard-interactive`).
    pub method: String,
    /// The user name tried.
    pub user: String,
    /// Wrong passwords sent on the first connection.
    pub attempts: u32,
    /// Of those, how many the service answered with a plain refusal.
    pub refused: u32,
    /// The attempt after which the service closed the connection, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_after: Option<u32>,
    /// How long the first refusal took, in milliseconds.
    pub first_answer_ms: u64,
    /// How long the slowest refusal took, in milliseconds.
    pub slowest_answer_ms: u64,
    /// Whether a new connection, opened at once after the series, was let in to try again and
    /// answered without delay (`None`: not tried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_answered: Option<bool>,
    /// What the service answered, in words.
    pub proof: String,
}

/// An access attempt against a live service and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccessAttempt {
    /// The endpoint.
    pub location: Location,
    /// How access was tried: `password` (a user and password from a list), `community` (an
    /// SNMP community), `anonymous` (an anonymous login: FTP `anonymous`, MQTT without
    /// credentials), `none` (a request that should need authentication, sent without any),
    /// `write` (an SNMP SET, with a community from the list, of a value to what it already
    /// is).
    pub method: String,
    /// The user name that was accepted (or, when none was, the last tried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The password or community that was accepted, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Where the credential comes from (`vendor default`, `Mirai botnet list`, a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether access was granted.
    pub accepted: bool,
    /// How many attempts were made on this service.
    pub attempts: u32,
    /// What the service answered that decides the result (`shell prompt '# '`, `230 Login
    /// successful`, `HTTP 200`, `CONNACK 0`, `401 after 5 attempts`).
    pub proof: String,
}
