#!/bin/sh
# The Debian packages the lab needs, and any named after them (the tests add the oracles: ansible,
# python3-jinja2, python3-yaml). Installing openssh-server would start an sshd on this machine; the lab runs
# its own sshd in each host and needs none here, so services are kept from starting during the install (a
# policy-rc.d guard, removed afterwards).
#   openssh-*, iproute2, util-linux, mount, dpkg-dev: the lab hosts (network namespaces, sshd, a local apt repo)
#   python3, socat, sudo: what modules run on the hosts; procps, psmisc: ps and killall in the hosts
set -eu
export DEBIAN_FRONTEND=noninteractive
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
trap 'if [ -n "$guard" ]; then rm -f "$guard"; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  openssh-server openssh-client iproute2 util-linux mount dpkg-dev python3 socat sudo procps psmisc "$@" >/dev/null
