//! Physical interfaces (principle 8): what the device does on its own with its ports.

use hallmark_model::facts::Facts;
use hallmark_model::{Outcome, Severity};

use super::check;
use crate::util::Judge;

check! {
    /// Physical ports never auto-execute content.
    Autorun {
        id: "interfaces-autorun",
        title: "Removable media are never run automatically, and no USB gadget console or network adapter is enabled at boot",
        requirements: ["ECD-8.4"],
        severity: Medium,
        doc: "## What it checks\nThe hotplug configuration of the image (udev rules, `mdev.conf`, hotplug2 and procd hotplug rules, `/etc/hotplug.d` scripts, automount scripts) and its start-up scripts, following the scripts they call, for handlers that run a program or script found on removable media (`/media/...`, `/mnt/usb...`, `/mnt/sda1`, `$MNT/autorun.sh`, the target of mounting a USB disk) or install firmware or packages from it (`sysupgrade`, `mtd write`, `opkg install`). Also USB gadget functions enabled at boot: serial and Ethernet gadget modules (`g_serial`, `g_cdc`, `g_ether`, `g_multi`), configfs gadget functions (`acm`, `ecm`, `rndis`, `ncm`), logins on the gadget serial port `ttyGS0`.\n\n## Why it matters\nAnyone walking past a printer, a phone or a kiosk can plug in a USB stick. If the device runs an `autorun.sh` or flashes an image it finds there, that person owns the device, and through it a foothold in the enterprise network, in seconds. A USB gadget serial console or Ethernet adapter enabled at boot offers a shell or a network path to whoever connects a laptop to the port.\n\n## Evidence\nThe rule or script and line that runs or installs the content, what runs it (udev, mdev, hotplug, a start-up script) and the path on the media; the module list, script or inittab line that enables the gadget function.\n\n## How to fix\nNever run, source or flash files from removable media in hotplug handlers or start-up scripts; mount removable media `noexec,nosuid,nodev`. Accept firmware or configuration from USB only when an administrator has enabled it, and only after the same signature check as network updates. Do not enable USB gadget serial or Ethernet functions in production builds, or require authentication on them.\n\n## Inconclusive when\nThe image has no hotplug, udev, mdev or automount configuration to examine (removable media may be handled by a vendor program or not at all: the manufacturer's declaration is needed), or no root filesystem was examined, or the view of it was incomplete. Whether each port can be disabled in software also needs the declaration.\n",
        evaluate: autorun,
    }
}

fn autorun(check: &Autorun, facts: &Facts) -> Outcome {
    let mut judge = Judge::new(check);
    if !judge.needs(facts, "ports", "hotplug and start-up handlers") {
        return judge.finish(true, "");
    }
    for h in &facts.port_handlers {
        let by = match h.trigger.as_str() {
            "boot" => "a start-up script".to_owned(),
            "modules" => "the boot module list".to_owned(),
            other => format!("a {other} handler"),
        };
        match h.kind.as_str() {
            "media-exec" => judge.fail(
                &h.location,
                Some(Severity::High),
                format!("{by} runs {} from removable media", h.what),
                h.excerpt.clone(),
                "whoever plugs in a USB stick or memory card runs code on the device",
                "Never run or source files from removable media; mount it noexec,nosuid,nodev.",
            ),
            "media-install" => judge.fail(
                &h.location,
                Some(Severity::High),
                format!("{by} installs {} from removable media", h.what),
                h.excerpt.clone(),
                "whoever plugs in a USB stick or memory card can replace the firmware or add software",
                "Install from removable media only when an administrator enables it, and only signature-verified images.",
            ),
            "usb-gadget" => judge.fail(
                &h.location,
                None,
                format!("USB gadget function {} is enabled by {by}", h.what),
                h.excerpt.clone(),
                "a laptop plugged into the USB port gets a serial console or a network path into the device",
                "Do not enable USB gadget serial or Ethernet functions in production, or require authentication on them.",
            ),
            other => judge.fail(
                &h.location,
                None,
                format!("{by} handles a physical port automatically ({other})"),
                h.excerpt.clone(),
                "content or devices attached to a physical port are acted on without an administrator",
                "Limit physical ports to their purpose and never act on attached content automatically.",
            ),
        }
    }
    let examined = facts.coverage("ports").map_or(0, |c| c.examined);
    if examined == 0 {
        judge.missing("the image has no hotplug, udev, mdev or automount configuration to examine; how removable media are handled (by a vendor program, or not at all) needs the manufacturer's declaration");
    }
    judge.finish(
        true,
        format!("{examined} hotplug rules and scripts examined (and the start-up scripts): none runs or installs content from removable media, and no USB gadget serial or Ethernet function is enabled at boot"),
    )
}

#[cfg(test)]
pub(crate) use tests::fixtures;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Check;
    use crate::checks::tests_support::{Fixture, facts_with, image_line, not_run, seen};
    use hallmark_model::Verdict;
    use hallmark_model::facts::PortHandler;

    fn handler(kind: &str, trigger: &str, what: &str, path: &str, line: u32) -> PortHandler {
        PortHandler {
            kind: kind.into(),
            trigger: trigger.into(),
            what: what.into(),
            excerpt: "RUN+=\"/bin/sh /media/%k/autorun.sh\"".into(),
            location: image_line(path, line),
        }
    }

    fn with(examined: u64, handlers: Vec<PortHandler>) -> Facts {
        facts_with("ports", |f| {
            if let Some(c) = f.coverage.get_mut("ports") {
                c.examined = examined;
            }
            f.port_handlers = handlers;
        })
    }

    fn autorun_rule() -> PortHandler {
        handler(
            "media-exec",
            "udev",
            "/media/%k/autorun.sh",
            "/etc/udev/rules.d/90-usb.rules",
            2,
        )
    }

    fn auto_flash() -> PortHandler {
        handler(
            "media-install",
            "boot",
            "/tmp/${name}",
            "/bin/installer.sh",
            8,
        )
    }

    fn gadget() -> PortHandler {
        handler(
            "usb-gadget",
            "modules",
            "g_serial",
            "/etc/modules.d/60-usb-gadget",
            2,
        )
    }

    pub(crate) fn fixtures() -> Vec<Fixture> {
        use Verdict::*;
        let id = "interfaces-autorun";
        vec![
            (id, Fail, with(3, vec![autorun_rule()])),
            (id, Fail, with(0, vec![auto_flash()])),
            (id, Fail, with(3, vec![gadget()])),
            (id, Pass, with(3, Vec::new())),
            // No hotplug configuration at all: a vendor program may handle media.
            (id, Inconclusive, with(0, Vec::new())),
            (id, Inconclusive, not_run("ports")),
        ]
    }

    #[test]
    fn findings_say_what_runs_and_where() {
        let o = Autorun.evaluate(&with(3, vec![autorun_rule(), auto_flash(), gadget()]));
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(
            seen(&o),
            vec![
                (
                    "a udev handler runs /media/%k/autorun.sh from removable media",
                    Severity::High,
                    (Some("/etc/udev/rules.d/90-usb.rules"), Some(2))
                ),
                (
                    "a start-up script installs /tmp/${name} from removable media",
                    Severity::High,
                    (Some("/bin/installer.sh"), Some(8))
                ),
                (
                    "USB gadget function g_serial is enabled by the boot module list",
                    Severity::Medium,
                    (Some("/etc/modules.d/60-usb-gadget"), Some(2))
                ),
            ]
        );
        let o = Autorun.evaluate(&with(3, Vec::new()));
        assert_eq!(o.verdict, Verdict::Pass);
        assert!(
            o.summary
                .starts_with("3 hotplug rules and scripts examined")
        );
        let o = Autorun.evaluate(&with(0, Vec::new()));
        assert!(o.missing[0].contains("no hotplug, udev, mdev"));
    }
}
