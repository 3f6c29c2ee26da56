/** The files `lab up` hands to typebook and ansible-playbook: the inventory and the known_hosts that pins host keys. */
import { stringify } from 'yaml';
import type { LabLayout } from './layout.js';

export interface InventoryHost {
  name: string;
  address: string;
}

/** ssh options every client of the lab uses: verify each host's key against the lab's known_hosts, nothing else. */
export function sshCommonArgs(knownHostsPath: string): string {
  return `-o UserKnownHostsFile=${knownHostsPath} -o StrictHostKeyChecking=yes`;
}

/** The system ssh client's options to log in to a lab host as root, its host key verified against the lab's pins. */
export function sshClientArgs(lab: { privateKeyPath: string; knownHostsPath: string }): string[] {
  return ['-i', lab.privateKeyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes'];
}

export function renderInventory(lab: LabLayout, hosts: readonly InventoryHost[]): string {
  const doc = {
    all: {
      children: {
        lab: {
          hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address }])),
          vars: {
            ansible_user: 'root',
            ansible_ssh_private_key_file: lab.privateKeyPath,
            ansible_ssh_common_args: sshCommonArgs(lab.knownHostsPath),
            ansible_python_interpreter: '/usr/bin/python3',
            lab_name: lab.name,
            lab_subnet: lab.subnet,
            lab_controller: lab.controller,
            lab_vip: lab.vip,
          },
        },
      },
    },
  };
  const header =
    `# typebook lab '${lab.name}': written by \`typebook lab up\`, removed by \`typebook lab down\`.\n` +
    `# lab_vip is an address of the lab's subnet that no host gets (for keepalived and the like).\n`;
  return header + stringify(doc, { lineWidth: 0 });
}

/** One line per host: its address and the public host key the lab generated for it ("TYPE BASE64 [comment]"). */
export function renderKnownHosts(hosts: readonly { address: string; publicKey: string }[]): string {
  return hosts
    .map((h) => {
      const [type, key] = h.publicKey.trim().split(/\s+/);
      return `${h.address} ${type} ${key}\n`;
    })
    .join('');
}
