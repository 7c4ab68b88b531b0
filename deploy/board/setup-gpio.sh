#!/usr/bin/env bash
# Give the door controller's user access to GPIO, on Raspberry Pi OS and on plain Debian alike:
# a system group "gpio" (Raspberry Pi OS has it already), the udev rule that hands it the GPIO
# chips, and the officepass user in that group. Idempotent. Run as root:
#   deploy/board/setup-gpio.sh            # this machine
#   deploy/board/setup-gpio.sh /mnt/root  # an image mounted there (no udev reload)
set -euo pipefail

ROOT="${1:-/}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root_flag=()
[ "$ROOT" != "/" ] && root_flag=(--root "$ROOT")

getent_group() { grep -q "^$1:" "$ROOT/etc/group"; }
getent_user() { grep -q "^$1:" "$ROOT/etc/passwd"; }

getent_group gpio || groupadd "${root_flag[@]}" --system gpio
install -D -m 0644 "$HERE/udev/99-officepass-gpio.rules" "$ROOT/etc/udev/rules.d/99-officepass-gpio.rules"
if getent_user officepass; then
    usermod "${root_flag[@]}" --append --groups gpio officepass
else
    useradd "${root_flag[@]}" --system --no-create-home --shell /usr/sbin/nologin --groups gpio officepass
fi
if [ "$ROOT" = "/" ] && command -v udevadm >/dev/null && [ -d /run/udev ]; then
    udevadm control --reload && udevadm trigger --subsystem-match=gpio
fi
echo "setup-gpio: group gpio, its udev rule and user officepass are ready${ROOT:+ in $ROOT}"
