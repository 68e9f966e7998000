#!/bin/bash
# [reform] Copied verbatim (except this line) from the project's Nova harness, /work/shared/openstack-nova/install.sh (see docs/nova-integration.md); used by test/nova/run.sh.
# Install the Debian packages needed by the Nova fake-driver harness.
# Idempotent: re-running only installs what is missing.
#
# - Debian 12 (bookworm) packages only, no pip.
# - No daemon is started by the package scripts: a temporary
#   /usr/sbin/policy-rc.d (exit 101) blocks invoke-rc.d during the install.
#   (There is no systemd running as PID 1 here, so systemd units never start.)
# - debconf questions are answered with their defaults (noninteractive):
#   every "configure_db / configure_ksat / configure_api-endpoint" defaults to
#   false, so dbconfig-common and keystone registration do nothing.
# - nova-compute (the Debian package) is NOT installed: it hard-depends on a
#   hypervisor package (nova-compute-kvm/-qemu -> libvirt + qemu). up.sh runs
#   the same entry point (nova.cmd.compute:main) from python3-nova instead.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PKGS=(
  # message bus + database
  rabbitmq-server mariadb-server mariadb-client
  # nova (api/conductor/scheduler daemons + nova-manage), library incl. fake driver
  python3-nova nova-common nova-api nova-conductor nova-scheduler
  # placement
  python3-placement placement-common placement-api
  # glance
  python3-glance glance-common glance-api
  # neutron-server (API only, no agents): nova-compute asks Neutron for the
  # instance's ports on reboot / start / delete even with networks "none"
  python3-neutron neutron-common
  # keystone (stage 2; keystone-manage, keystone-wsgi-public)
  python3-keystone
  # clients / tools
  python3-openstackclient python3-novaclient python3-glanceclient python3-osc-placement
  jq curl openssh-client procps iproute2 psmisc
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install.sh: all packages already installed"
else
  echo "install.sh: installing ${#missing[@]} packages: ${missing[*]}"
  apt-get update -q
  # Block service starts from maintainer scripts while we install.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# installed temporarily by nova harness install.sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
fi

# Note: do NOT call "/etc/init.d/rabbitmq-server status" here: it runs
# rabbitmqctl, which starts an epmd daemon listening on 0.0.0.0:4369.

echo "install.sh: done"
