#!/bin/bash
# Runs dpkg (and its maintainer scripts, chrooted) against a fresh root made of this machine's /usr under a
# copy-on-write overlay and a minimal /etc and /var of its own: the package's scripts create their user, modes and
# unit links there, never on this machine. Run inside `unshare --mount --propagation private`, so every mount
# disappears with the process. Usage: dpkg-root.sh ROOT COMMAND... (COMMAND runs with $R set to the root).
set -euo pipefail
R=$1
shift
mkdir -p "$R"/{usr,.up,.work,etc,var/lib/dpkg/info,var/lib/dpkg/updates,var/lib/dpkg/triggers,var/log,tmp,dev,run,proc}
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$R/.up,workdir=$R/.work" "$R/usr"
for l in bin lib lib64 sbin; do [ -e "$R/$l" ] || ln -s "usr/$l" "$R/$l"; done
for f in passwd group shadow gshadow login.defs adduser.conf deluser.conf nsswitch.conf; do
	[ -e "$R/etc/$f" ] || { [ -e "/etc/$f" ] && cp -p "/etc/$f" "$R/etc/$f"; } || true
done
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available" "$R/var/lib/dpkg/statoverride"
touch "$R/dev/null"
mount --bind /dev/null "$R/dev/null"
chmod 1777 "$R/tmp"
export R
"$@"
