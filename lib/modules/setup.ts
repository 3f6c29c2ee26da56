import { Type } from '@sinclair/typebox';
import { List } from './args.js';
import { defineModule } from './module.js';
import { fnmatch } from '../ansible/index.js';

/**
 * The facts read in one command: one small POSIX shell script prints `key<TAB>value` lines, parsed here.
 * The service manager is told by /run/systemd/system (as systemd itself decides whether it booted the
 * host), not by what /sbin/init points to, which misleads on hosts without systemd as PID 1.
 */
const script = String.raw`
p() { printf '%s\t%s\n' "$1" "$2"; }
p hostname "$(hostname 2>/dev/null || uname -n)"
p fqdn "$(hostname -f 2>/dev/null || hostname 2>/dev/null || uname -n)"
p nodename "$(uname -n)"
p system "$(uname -s)"
p kernel "$(uname -r)"
p architecture "$(uname -m)"
p user_id "$(id -un)"
p vcpus "$(nproc 2>/dev/null || echo 1)"
p memtotal_kb "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"
if [ -r /etc/os-release ]; then . /etc/os-release; p os_id "$ID"; p os_id_like "$ID_LIKE"; p os_name "$NAME"; p os_version_id "$VERSION_ID"; p os_codename "$VERSION_CODENAME"; fi
[ -r /etc/debian_version ] && p debian_version "$(cat /etc/debian_version)"
if [ -d /run/systemd/system ]; then p service_mgr systemd; elif [ -x /sbin/openrc ]; then p service_mgr openrc; else p service_mgr sysvinit; fi
if command -v apt-get >/dev/null 2>&1; then p pkg_mgr apt; elif command -v dnf >/dev/null 2>&1; then p pkg_mgr dnf; elif command -v yum >/dev/null 2>&1; then p pkg_mgr yum; elif command -v apk >/dev/null 2>&1; then p pkg_mgr apk; fi
for i in /sys/class/net/*; do p interface "$(basename "$i")"; done
ip -4 -o addr show 2>/dev/null | while read -r n dev fam addr rest; do p ipv4 "$dev $addr"; done
ip -4 route show default 2>/dev/null | head -n 1 | while read -r d via gw dev ifc rest; do p default_route "$gw $ifc"; done
`;

const osFamilies: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', linuxmint: 'Debian', raspbian: 'Debian', rhel: 'RedHat', centos: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', amzn: 'RedHat', alpine: 'Alpine', arch: 'Archlinux', opensuse: 'Suse', sles: 'Suse' };
const distributions: Record<string, string> = { debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', fedora: 'Fedora', rocky: 'Rocky', almalinux: 'AlmaLinux', alpine: 'Alpine', arch: 'Archlinux', amzn: 'Amazon' };

function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

export function parseFacts(output: string): Record<string, unknown> {
  const single = new Map<string, string>();
  const interfaces: string[] = [];
  const ipv4 = new Map<string, { address: string; netmask: string; network: string; prefix: string }>();
  let defaultRoute: { gateway: string; interface: string } | undefined;
  for (const line of output.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const key = line.slice(0, tab);
    const value = line.slice(tab + 1);
    if (key === 'interface') interfaces.push(value);
    else if (key === 'ipv4') {
      const [dev, cidr] = value.split(' ');
      const [address, prefix] = (cidr ?? '').split('/');
      if (dev && address && !ipv4.has(dev)) {
        const mask = netmask(Number(prefix ?? 32));
        const network = address.split('.').map((o, i) => Number(o) & Number(mask.split('.')[i])).join('.');
        ipv4.set(dev, { address, netmask: mask, network, prefix: prefix ?? '32' });
      }
    } else if (key === 'default_route') {
      const [gateway, iface] = value.split(' ');
      if (iface) defaultRoute = { gateway: gateway ?? '', interface: iface };
    } else single.set(key, value);
  }
  const id = single.get('os_id') ?? '';
  const like = (single.get('os_id_like') ?? '').split(' ');
  const family = osFamilies[id] ?? like.map((l) => osFamilies[l]).find(Boolean) ?? single.get('system') ?? '';
  const version = id === 'debian' ? (single.get('debian_version') ?? single.get('os_version_id') ?? '') : (single.get('os_version_id') ?? '');
  const hostname = single.get('hostname') ?? '';
  const facts: Record<string, unknown> = {
    hostname: hostname.split('.')[0],
    fqdn: single.get('fqdn') ?? hostname,
    nodename: single.get('nodename') ?? hostname,
    system: single.get('system') ?? '',
    kernel: single.get('kernel') ?? '',
    architecture: single.get('architecture') ?? '',
    user_id: single.get('user_id') ?? '',
    processor_vcpus: Number(single.get('vcpus') ?? 1),
    memtotal_mb: Math.floor(Number(single.get('memtotal_kb') ?? 0) / 1024),
    os_family: family,
    distribution: distributions[id] ?? single.get('os_name') ?? '',
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: single.get('os_codename') ?? '',
    service_mgr: single.get('service_mgr') ?? '',
    pkg_mgr: single.get('pkg_mgr') ?? '',
    interfaces,
    all_ipv4_addresses: [...ipv4.values()].map((a) => a.address).filter((a) => !a.startsWith('127.')),
    default_ipv4: defaultRoute ? { interface: defaultRoute.interface, gateway: defaultRoute.gateway, ...(ipv4.get(defaultRoute.interface) ?? {}) } : {},
  };
  for (const iface of interfaces) {
    const key = iface.replace(/[-.:]/g, '_');
    facts[key] = { device: iface, active: true, ...(ipv4.has(iface) ? { ipv4: ipv4.get(iface) } : {}) };
  }
  return facts;
}

/** ansible.builtin.setup: a small set of facts (host, OS, network, service manager), in one round trip. */
export default defineModule({
  name: 'setup',
  aliases: ['ansible.builtin.setup', 'ansible.legacy.setup', 'gather_facts', 'ansible.builtin.gather_facts'],
  description: 'Gather facts about the host: names, OS, addresses, service manager',
  args: Type.Object(
    {
      gather_subset: Type.Optional(List(Type.String(), { description: 'accepted for compatibility: typebook gathers one small set' })),
      filter: Type.Optional(List(Type.String(), { description: 'only facts whose name matches one of these shell-style patterns' })),
      gather_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 10 })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    const result = await ctx.connection.run({ argv: ['sh', '-c', script] }, { timeoutMs: (args.gather_timeout ?? 10) * 1000 });
    if (result.rc !== 0 && result.stdout === '') return { changed: false, failed: true, msg: `gathering facts failed: ${result.stderr.trim()}` };
    let facts = parseFacts(result.stdout);
    if (args.filter && args.filter.length > 0) {
      const patterns = args.filter.map((f) => f.replace(/^ansible_/, ''));
      facts = Object.fromEntries(Object.entries(facts).filter(([k]) => patterns.some((p) => fnmatch(k, p))));
    }
    // named as Ansible's setup names them (ansible_hostname): the engine keeps these names as variables
    return { changed: false, ansible_facts: Object.fromEntries(Object.entries(facts).map(([k, v]) => [`ansible_${k}`, v])) };
  },
});
