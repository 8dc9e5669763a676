//! The collector registry: one file per collector, one line per collector in [`COLLECTORS`].

mod accounts;
mod boot;
mod components;
mod elf;
mod image;
mod inventory;
mod keys;
mod log_secrets;
mod logging;
mod permissions;
mod ports;
mod secrets;
mod services;
mod updates;
mod web;

use crate::Collector;

/// Every collector, sorted by id.
pub static COLLECTORS: &[&dyn Collector] = &[
    &accounts::AccountsCollector,
    &boot::BootCollector,
    &components::ComponentsCollector,
    &elf::ElfCollector,
    &image::ImageCollector,
    &inventory::InventoryCollector,
    &keys::KeysCollector,
    &log_secrets::LogSecretsCollector,
    &logging::LoggingCollector,
    &permissions::PermissionsCollector,
    &ports::PortsCollector,
    &secrets::SecretsCollector,
    &services::ServicesCollector,
    &updates::UpdatesCollector,
    &web::WebCollector,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_lowercase_and_documented() {
        let ids: Vec<&str> = COLLECTORS.iter().map(|c| c.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for c in COLLECTORS {
            assert!(c.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(!c.description().is_empty());
        }
    }
}
