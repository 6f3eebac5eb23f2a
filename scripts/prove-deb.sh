#!/bin/bash
# Proof that the Debian package works as an appliance: build the .deb (and a newer build of it), debootstrap a
# fresh Debian root from the mirror this machine's apt uses, install the package into it with apt, and boot that
# root under QEMU (Debian's kernel, systemd as PID 1, user-mode network forwarded to 127.0.0.1 only). Then, over ssh:
# the service came up by itself on the packaged demo config; the page answers from the host; `systemctl reload` with
# a broken config keeps it running; `systemctl stop` ends within 10 s while a client holds a connection; a reboot
# keeps the data; an upgrade to the newer build keeps config and data; purge removes both.
#
# Not part of `npm test` (minutes). Run as root: scripts/prove-deb.sh [WORKDIR] (default /var/tmp/upsguard-prove).
# The debootstrapped base is cached in WORKDIR/base; delete it to start from scratch. ACCEL=kvm speeds it up where
# /dev/kvm exists (default tcg: software emulation, as CI has it).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/var/tmp/upsguard-prove}
ACCEL=${ACCEL:-tcg}
# How long the service may take to become active: node under software emulation is some 30 times slower.
START_WAIT=$([ "$ACCEL" = tcg ] && echo 900 || echo 180)
SUITE=${SUITE:-bookworm}
mkdir -p "$W"
cd "$W"

QEMU_PID=""
cleanup() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID" || true; fi
	for m in root/dev/pts root/dev root/proc root/sys; do mountpoint -q "$m" 2>/dev/null && umount "$m" || true; done
}
trap cleanup EXIT

T0=$(date +%s)
step() { printf '\n== [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
ok() { printf 'PASS  %s\n' "$*"; }
fail() {
	printf 'FAIL  %s\n' "$*"
	exit 1
}

mirror() {
	# The first Debian (not -security) URI this machine's apt is configured with.
	local m
	m=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
		grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# ATTACH="QEMU_PID SSH_PORT WEB_PORT" goes on with a guest an earlier run booted (and left running).
if [ -n "${ATTACH:-}" ]; then
	REUSE_DEBS=1
	REUSE_IMAGE=1
fi

# --- 1. the packages -------------------------------------------------------------------------------------------
step "build the .deb (and a newer build for the upgrade)"
VERSION=$(node -p 'require(process.argv[1]).version' "$REPO/package.json")
V2="$VERSION+prove1"
DEB1="$W/debs/upsguard_${VERSION}_amd64.deb"
DEB2="$W/debs/upsguard_${V2}_amd64.deb"
# SKIP_APP_BUILD=1 packages dist/ as it is (when the tree does not typecheck mid-change, say); REUSE_DEBS=1 takes
# the two .debs of an earlier run.
if [ -z "${REUSE_DEBS:-}" ] || [ ! -f "$DEB1" ] || [ ! -f "$DEB2" ]; then
	[ -n "${SKIP_APP_BUILD:-}" ] || (cd "$REPO" && npm run build --silent)
	(cd "$REPO" && npx tsx packaging/build-deb.ts --no-build --compress gzip --out "$W/debs")
	(cd "$REPO" && npx tsx packaging/build-deb.ts --no-build --compress gzip --out "$W/debs" --version "$V2")
fi
ls -la "$DEB1" "$DEB2"

# --- 2. a fresh Debian root ------------------------------------------------------------------------------------
MIRROR=$(mirror)
if [ ! -x base/usr/bin/apt-get ]; then
	step "debootstrap $SUITE from $MIRROR"
	rm -rf base
	debootstrap --variant=minbase \
		--include=systemd-sysv,udev,linux-image-amd64,initramfs-tools,curl,ca-certificates,iproute2,procps,kmod \
		"$SUITE" base "$MIRROR"
fi
# REUSE_IMAGE=1 boots the disk image of an earlier run (made from the same .debs) instead of making it again.
if [ -n "${REUSE_IMAGE:-}" ] && [ -f disk.img ] && [ -f vmlinuz ] && [ -f initrd.img ] && [ -f ssh-key ]; then
	step "reuse the disk image of an earlier run"
	KERNEL=$(ls root/boot/vmlinuz-* | sort -V | tail -1)
else
step "copy the base root and install the package into it with apt (its Depends from the mirror)"
rm -rf root disk.img
cp -a base root
echo upsguard-prove >root/etc/hostname
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >root/etc/fstab
mkdir -p root/etc/systemd/network
printf '[Match]\nName=en*\n[Network]\nDHCP=yes\n' >root/etc/systemd/network/10-dhcp.network
cp /etc/resolv.conf root/etc/resolv.conf
mount --bind /dev root/dev
mount --bind /dev/pts root/dev/pts
mount -t proc proc root/proc
mount -t sysfs sys root/sys
cp "$DEB1" "$DEB2" root/root/
chroot root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	openssh-server "/root/$(basename "$DEB1")"
chroot root systemctl enable systemd-networkd ssh >/dev/null
chroot root systemctl is-enabled upsguard.service | grep -q enabled || fail "the package did not enable upsguard.service"
ok "installed in the chroot, upsguard.service enabled"
rm -f ssh-key ssh-key.pub
ssh-keygen -q -t ed25519 -N '' -f ssh-key
install -d -m 700 root/root/.ssh
install -m 600 ssh-key.pub root/root/.ssh/authorized_keys
# Software emulation runs node some 30 times slower than the machine: give the start and the watchdog room there
# (a drop-in, as an admin would; the packaged unit is unchanged).
if [ "$ACCEL" = tcg ]; then
	mkdir -p root/etc/systemd/system/upsguard.service.d
	printf '[Service]\nTimeoutStartSec=900\nWatchdogSec=180\n' >root/etc/systemd/system/upsguard.service.d/prove-tcg.conf
fi
cat >root/root/events.cjs <<'JS'
const Database = require('/usr/lib/upsguard/node_modules/better-sqlite3');
const db = new Database('/var/lib/upsguard/upsguard.db', { readonly: true, fileMustExist: true });
const r = db.prepare('SELECT count(*) AS n, min(id) AS first FROM events').get();
console.log(`${r.n} ${r.first}`);
JS
cleanup
KERNEL=$(ls root/boot/vmlinuz-* | sort -V | tail -1)
INITRD=$(ls root/boot/initrd.img-* | sort -V | tail -1)
cp "$KERNEL" vmlinuz
cp "$INITRD" initrd.img
mkfs.ext4 -q -F -L root -d root disk.img 4G
ok "disk image made ($(du -sh disk.img | cut -f1) used)"
fi

# --- 3. boot it ------------------------------------------------------------------------------------------------
if [ -n "${ATTACH:-}" ]; then
	read -r QEMU_PID SSH_PORT WEB_PORT <<<"$ATTACH"
else
	SSH_PORT=$(free_port)
	WEB_PORT=$(free_port)
fi
boot() {
	qemu-system-x86_64 -accel "$ACCEL" -m 1536 -smp 2 -display none -monitor none \
		-kernel vmlinuz -initrd initrd.img -append "root=/dev/vda rw console=ttyS0" \
		-drive file=disk.img,format=raw,if=virtio \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$WEB_PORT-:8080" \
		-device virtio-net-pci,netdev=n0 -serial "file:$W/console-$1.log" &
	QEMU_PID=$!
}
# A command in the guest; ssh's own failures (255: an emulated guest slow to answer) are retried.
g() {
	local rc
	for _ in 1 2 3; do
		rc=0
		ssh -q -p "$SSH_PORT" -i ssh-key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o ConnectTimeout=30 -o BatchMode=yes root@127.0.0.1 "$@" || rc=$?
		[ "$rc" = 255 ] || return "$rc"
		sleep 5
	done
	return "$rc"
}
wait_ssh() {
	local end=$(($(date +%s) + $1))
	until g true 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || fail "no ssh within $1 s (see $W/console-*.log)"
		sleep 3
	done
}
wait_active() {
	local end=$(($(date +%s) + $1))
	until [ "$(g systemctl is-active upsguard.service 2>/dev/null)" = active ]; do
		[ "$(date +%s)" -lt "$end" ] || {
			g journalctl -u upsguard.service -n 40 --no-pager || true
			fail "upsguard.service not active within $1 s"
		}
		sleep 2
	done
}
page() { curl -sk -o /dev/null -w '%{http_code}' --max-time 20 "https://127.0.0.1:$WEB_PORT/"; }
# The store's events through the packaged runtime and its own better-sqlite3: "COUNT OLDEST-ID".
events() { g /usr/lib/upsguard/node/bin/node /root/events.cjs; }

step "boot under QEMU ($ACCEL): Debian kernel $(basename "$KERNEL"), systemd as PID 1"
B=$(date +%s)
[ -n "${ATTACH:-}" ] || boot 1
wait_ssh 600
ok "booted, ssh up after $(($(date +%s) - B)) s"
wait_active "$START_WAIT"
ok "upsguard.service came up by itself ($(($(date +%s) - B)) s after power-on): $(g systemctl show -p Type,NotifyAccess,WatchdogUSec,NRestarts upsguard.service | tr '\n' ' ')"
g "systemctl status upsguard.service --no-pager | head -5"

step "the page answers from the host (hostfwd 127.0.0.1:$WEB_PORT -> guest :8080)"
code=""
for _ in $(seq 1 30); do
	code=$(page || true)
	[ "$code" = 200 ] && break
	sleep 2
done
[ "$code" = 200 ] || fail "GET / answered ${code:-nothing}"
ok "GET https://127.0.0.1:$WEB_PORT/ -> $code"

step "systemctl reload with a broken config keeps it running"
PID1=$(g systemctl show -p MainPID --value upsguard.service)
g "cp -p /etc/upsguard/upsguard.yaml /root/upsguard.yaml.good && printf 'ups: []\n' > /etc/upsguard/upsguard.yaml"
g systemctl reload upsguard.service || echo "(systemctl reload returned $?)"
sleep 5
STATE=$(g systemctl is-active upsguard.service || true)
PID2=$(g systemctl show -p MainPID --value upsguard.service)
g "journalctl -u upsguard.service -n 8 --no-pager -o cat" || true
g "cp -p /root/upsguard.yaml.good /etc/upsguard/upsguard.yaml"
if [ "$STATE" = active ] && [ "$PID1" = "$PID2" ] && [ "$(page)" = 200 ]; then
	ok "still active, same main PID $PID1, page answers"
else
	echo "FAIL  reload with a broken config: state $STATE, main PID $PID1 -> $PID2"
	RELOAD_FAILED=1
	g systemctl restart upsguard.service
	wait_active "$START_WAIT"
fi

step "systemctl stop within 10 s while a client holds connections to the page"
# A bare TCP connection that never speaks, and an idle TLS session (a browser tab between requests).
exec 3<>"/dev/tcp/127.0.0.1/$WEB_PORT"
sleep 60 | openssl s_client -quiet -connect "127.0.0.1:$WEB_PORT" >/dev/null 2>&1 &
TLS_PID=$!
sleep 3
# Timed inside the guest: ssh to an emulated guest takes seconds of its own.
STOP_S=$(g 'S=$(date +%s.%N); systemctl stop upsguard.service; E=$(date +%s.%N); awk "BEGIN{print $E - $S}"')
exec 3<&-
kill "$TLS_PID" 2>/dev/null || true
g "journalctl -u upsguard.service -n 5 --no-pager -o cat" || true
if [ "$(echo "$STOP_S < 10" | bc)" = 1 ]; then ok "stopped in ${STOP_S} s"; else fail "stop took ${STOP_S} s"; fi
g systemctl start upsguard.service
wait_active "$START_WAIT"

step "a reboot keeps the data"
sleep 20
BEFORE=$(events)
if [ -n "${SKIP_REBOOT:-}" ]; then
	echo "SKIP  reboot (SKIP_REBOOT=1); events now: $BEFORE"
	AFTER=$BEFORE
	g "echo '# proof marker: an admin edit' >> /etc/upsguard/upsguard.yaml"
else
g "echo '# proof marker: an admin edit' >> /etc/upsguard/upsguard.yaml"
BOOT_BEFORE=$(g cat /proc/sys/kernel/random/boot_id)
# A minbase root has no D-Bus: systemctl says "Failed to connect to bus" (logind) and reboots through systemd itself.
g systemctl reboot || true
B=$(date +%s)
# Until the old system is gone: ssh still answers for a while as it shuts down.
until ! g true 2>/dev/null || [ "$(date +%s)" -gt $((B + 300)) ]; do sleep 3; done
wait_ssh 600
wait_active "$START_WAIT"
BOOT_AFTER=$(g cat /proc/sys/kernel/random/boot_id)
[ "$BOOT_BEFORE" != "$BOOT_AFTER" ] || fail "the guest did not reboot (same boot id $BOOT_AFTER)"
AFTER=$(events)
echo "events before: $BEFORE; after: $AFTER (count, oldest id); boot id $BOOT_BEFORE -> $BOOT_AFTER"
[ "${BEFORE#* }" = "${AFTER#* }" ] && [ "${AFTER% *}" -ge "${BEFORE% *}" ] || fail "the store did not survive the reboot"
ok "back after $(($(date +%s) - B)) s with the store kept (oldest event the same, count $BEFORE -> $AFTER)"
fi

step "upgrade to the newer build keeps config and data"
g "dpkg -i /root/$(basename "$DEB2")"
wait_active "$START_WAIT"
UPGRADED=$(events)
g "dpkg-query -W -f='\${Version}' upsguard" | grep -qx "$V2" || fail "not upgraded"
g "grep -q 'proof marker' /etc/upsguard/upsguard.yaml" || fail "the config edit was lost"
g "stat -c '%U:%G %a %n' /etc/upsguard /etc/upsguard/upsguard.yaml /var/lib/upsguard"
[ "${UPGRADED#* }" = "${AFTER#* }" ] || fail "the store was replaced by the upgrade"
ok "upsguard $V2 active, config edit kept, store kept ($UPGRADED)"

step "remove keeps config and data; purge removes them"
g "dpkg -r upsguard"
g "test -f /etc/upsguard/upsguard.yaml && test -f /var/lib/upsguard/upsguard.db" || fail "remove deleted config or data"
ok "removed: config and data kept"
g "dpkg -P upsguard"
g "test ! -e /etc/upsguard && test ! -e /var/lib/upsguard" || fail "purge left config or data"
ok "purged: /etc/upsguard and /var/lib/upsguard gone"

g "systemctl poweroff" || true
wait "$QEMU_PID" || true
QEMU_PID=""
step "done${RELOAD_FAILED:+ (the reload step FAILED, see above)}"
[ -z "${RELOAD_FAILED:-}" ]
