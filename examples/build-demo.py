#!/usr/bin/env python3
"""Builds examples/demo-router.tar.gz: a tiny, made-up router root filesystem with known
weaknesses, for `hallmark assess` demonstrations and tests. Every file is written here; there
is no third-party firmware in it. Deterministic: the same bytes on every run.

    python3 examples/build-demo.py
"""
import gzip
import io
import os
import tarfile

EPOCH = 1704067200  # 2024-01-01, as the shared corpus uses

# MD5-crypt of "admin" with salt "demo1234", and SHA-512-crypt of a random 32-character
# password (computed once with `openssl passwd`; fixed here so the build needs no crypt module).
ROOT_HASH = "$1$demo1234$LP43vAgoevyYG//TiNFkS."
OPERATOR_HASH = "$6$hallmarkdemo$6KjTHZLULNa1NKltGNP2eGd6TO0v4KJmxOsbtbdKTGcgOdnF.RHnpBL8mWYjkslSUur17M.JotCLGZFKPMQJQ/"

FILES = [
    # (path, mode, content) ; content None = directory, str starting with '->' = symlink
    ("etc", 0o755, None),
    ("etc/passwd", 0o644,
     "root:x:0:0:root:/root:/bin/sh\n"
     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
     "support:x:0:0:vendor support:/root:/bin/sh\n"
     "operator:x:1000:1000:operator:/home/operator:/bin/sh\n"
     "guest:x:1001:1001:guest:/home/guest:/bin/sh\n"),
    ("etc/shadow", 0o600,
     f"root:{ROOT_HASH}:19723:0:99999:7:::\n"
     "daemon:*:19723:0:99999:7:::\n"
     "support:!:19723:0:99999:7:::\n"
     f"operator:{OPERATOR_HASH}:19723:0:99999:7:::\n"
     "guest::19723:0:99999:7:::\n"),
    ("etc/inittab", 0o644,
     "::sysinit:/etc/init.d/rcS\n"
     "ttyS0::respawn:/bin/sh\n"
     "::shutdown:/bin/umount -a -r\n"),
    ("etc/init.d", 0o755, None),
    ("etc/init.d/rcS", 0o755,
     "#!/bin/sh\nfor s in /etc/init.d/S??*; do [ -x \"$s\" ] && \"$s\" start; done\n"),
    ("etc/init.d/S40telnetd", 0o755,
     "#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/telnetd -l /bin/sh ;;\n  stop) killall telnetd ;;\nesac\n"),
    ("etc/init.d/S50dropbear", 0o755,
     "#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/dropbear -B -p 22 ;;\nesac\n"),
    ("etc/init.d/S99custom", 0o777, "#!/bin/sh\n# site hook\n"),
    ("etc/config", 0o755, None),
    ("etc/config/cloud", 0o644,
     "config cloud 'main'\n"
     "\toption endpoint 'http://telemetry.example.invalid/v1'\n"
     "\toption aws_access_key_id 'AKIAHALLMARKDEMO0001'\n"
     "\toption mqtt_password 'demo-Passw0rd!'\n"),
    ("etc/snmp", 0o755, None),
    ("etc/snmp/snmpd.conf", 0o644, "rocommunity public\nrwcommunity private\n"),
    ("usr/sbin", 0o755, None),
    ("usr/sbin/fw_upgrade.sh", 0o755,
     "#!/bin/sh\n# fetch and flash the latest firmware\n"
     "wget -O /tmp/fw.bin http://update.example.invalid/demo/latest.bin && mtd write /tmp/fw.bin firmware\n"),
    ("usr/sbin/telnetd", 0o755, "-> ../../bin/busybox"),
    ("bin", 0o755, None),
    ("bin/busybox", 0o4755, "#!/bin/sh\necho 'stand-in for busybox'\n"),
    ("bin/sh", 0o777, "-> busybox"),
    ("tmp", 0o1777, None),
    # The package database, as opkg keeps it: the components `hallmark sbom` lists.
    ("usr/lib", 0o755, None),
    ("usr/lib/opkg", 0o755, None),
    ("usr/lib/opkg/status", 0o644,
     "Package: busybox\nVersion: 1.30.1-1\nDepends: libc\nStatus: install user installed\n"
     "Architecture: arm_cortex-a7\nInstalled-Time: 1704067200\n\n"
     "Package: dropbear\nVersion: 2020.81-2\nDepends: libc\nStatus: install user installed\n"
     "Architecture: arm_cortex-a7\nInstalled-Time: 1704067200\n\n"
     "Package: dnsmasq\nVersion: 2.85-1\nDepends: libc\nStatus: install user installed\n"
     "Architecture: arm_cortex-a7\nInstalled-Time: 1704067200\n\n"
     "Package: libc\nVersion: 1.1.24-3\nStatus: install user installed\n"
     "Architecture: arm_cortex-a7\nInstalled-Time: 1704067200\n"),
]


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, mode, content in FILES:
            info = tarfile.TarInfo(path)
            info.mode = mode
            info.mtime = EPOCH
            info.uname = info.gname = "root"
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif content.startswith("-> "):
                info.type = tarfile.SYMTYPE
                info.linkname = content[3:]
                tar.addfile(info)
            else:
                data = content.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = os.path.join(here, "demo-router.tar.gz")
    with open(out, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=EPOCH) as gz:
            gz.write(raw.getvalue())
    print(out)


if __name__ == "__main__":
    main()
