#!/bin/bash
# `npm run test:openstack`: reform (the built CLI) against a real OpenStack cloud named by OS_CLOUD
# (a clouds.yaml entry: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml or
# /etc/openstack/clouds.yaml). Without OS_CLOUD it says so loudly and exits 0 without running anything.
#
#   REFORM_TEST_IMAGE_A / REFORM_TEST_IMAGE_B   bootable images (name or id); default: tiny images uploaded to Glance
#   REFORM_TEST_FLAVOR                          flavor (name or id); default: the smallest
#   REFORM_TEST_NETWORK                         network id for the test servers; default: none (microversion 2.37)
#   REFORM_TEST_NOAUTH=1                        run the noauth suite instead (the cloud must be a noauth2 Nova)
#   REFORM_TEST_POLL_MS                         apply's --poll-interval (default 500)
#   REFORM_TEST_SKIP_BUILD=1                    do not run `npm run build` first
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${OS_CLOUD:-}" ]; then
  cat <<'MSG'
################################################################################
#  OpenStack integration suite NOT RUN: no cloud configured.                   #
#  Set OS_CLOUD to a clouds.yaml entry (and OS_CLIENT_CONFIG_FILE if the file  #
#  is not in a standard place) to run reform against a real OpenStack, e.g.    #
#      OS_CLOUD=devstack npm run test:openstack                                #
#  or run `npm run test:nova`, which starts a real Nova on this machine.       #
#  See docs/nova-integration.md.                                               #
################################################################################
MSG
  exit 0
fi

echo "OpenStack integration suite against cloud \"$OS_CLOUD\" (clouds.yaml: ${OS_CLIENT_CONFIG_FILE:-standard locations})"
[ "${REFORM_TEST_SKIP_BUILD:-0}" = 1 ] || npm run --silent build
exec npx vitest run -c vitest.openstack.config.ts "$@"
