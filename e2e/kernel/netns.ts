// The test network: namespaces the suite creates, joins with veth pairs and
// always deletes. Nothing is ever attached to the root namespace: both ends of
// every veth are created directly inside test namespaces (`ip -n A link add …
// peer … netns B`).
//
//   client ns                node ns                               pod ns
//   eth0 192.168.0.1/24 ── eth0 192.168.0.2/24
//   (+ extra /32 sources)    cni0 bridge 10.244.0.1/24 ── veth ── eth0 10.244.0.5/24 (+ /32s)
//                            kube-ipvs0 dummy or bridge (extra LOCAL addresses)
//   default via node         default via client; remote pod CIDRs via client
//
// The client does not forward, so a packet the node sends towards a remote pod
// or the outside dies in the client namespace: no packet leaves the test.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { killAllChildren, run } from './exec';

export interface BridgeSpec {
  /** Bridge name in the node namespace (cni0, docker0). */
  name: string;
  /** The pod CIDR behind it. */
  cidr: string;
  /** The node's address on it (first host of the CIDR). */
  address: string;
  /** The pod's primary address. */
  podIP: string;
}

export interface TopologySpec {
  /** The address family of every address below (and of the dump: iptables or ip6tables). */
  family: 4 | 6;
  nodeIP: string;
  /** More node addresses on the uplink (secondary, same subnet): NodeContext.nodeIPs after the first. */
  nodeExtraIPs: string[];
  clientIP: string;
  /** Prefix length of the uplink subnet. */
  uplinkPrefix: number;
  bridge: BridgeSpec;
  /** Extra source addresses the client owns (/32 on its eth0). */
  clientAddrs: string[];
  /** Extra addresses the pod owns (/32 on its eth0): endpoint pods on this node. */
  podAddrs: string[];
  /** Extra LOCAL addresses of the node, on a dummy interface (kube-ipvs0). */
  localAddrs: string[];
  /** Remote pod CIDRs, routed from the node via the client. */
  remoteCIDRs: string[];
}

export const DEFAULT_BRIDGE: BridgeSpec = {
  name: 'cni0',
  cidr: '10.244.0.0/24',
  address: '10.244.0.1',
  podIP: '10.244.0.5',
};

export const DEFAULT_BRIDGE6: BridgeSpec = {
  name: 'cni0',
  cidr: 'fd00:10:244::/64',
  address: 'fd00:10:244::1',
  podIP: 'fd00:10:244::5',
};

export function topologySpec(partial: Partial<TopologySpec> = {}): TopologySpec {
  if (partial.family === 6) {
    return {
      family: 6,
      nodeIP: 'fd00::2',
      nodeExtraIPs: [],
      clientIP: 'fd00::1',
      uplinkPrefix: 64,
      bridge: DEFAULT_BRIDGE6,
      clientAddrs: [],
      podAddrs: [],
      localAddrs: [],
      remoteCIDRs: ['fd00:10:244:1::/64', 'fd00:10:244:2::/64'],
      ...partial,
    };
  }
  return {
    family: 4,
    nodeIP: '192.168.0.2',
    nodeExtraIPs: [],
    clientIP: '192.168.0.1',
    uplinkPrefix: 24,
    bridge: DEFAULT_BRIDGE,
    clientAddrs: [],
    podAddrs: [],
    localAddrs: [],
    remoteCIDRs: ['10.244.1.0/24', '10.244.2.0/24'],
    ...partial,
  };
}

export type NsRole = 'node' | 'client' | 'pod';

// cw-k<pid>x<hex>-<role>: the pid lets a later run tell a dead run's leftovers
// from a concurrent live run's namespaces.
const NAME = /^cw-k(\d+)x[0-9a-f]+-(node|client|pod)$/;

const live = new Set<string>();
let exitHookInstalled = false;

function deleteNsSync(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    // Children first: a process inside a deleted namespace keeps it alive.
    killAllChildren();
    for (const name of live) deleteNsSync(name);
    live.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete this suite's namespaces left by runs that are no longer alive. */
export function cleanupStaleNamespaces(): string[] {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0];
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    // A dead run's monitor or sender may still sit in its namespace: end those
    // (only this suite creates cw-k… namespaces), then the namespace.
    try {
      const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 });
      for (const p of pids.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          // gone already
        }
      }
    } catch {
      // no such namespace any more
    }
    deleteNsSync(name);
    removed.push(name);
  }
  return removed;
}

export class Topology {
  readonly names: Record<NsRole, string>;

  private constructor(readonly spec: TopologySpec) {
    const prefix = `cw-k${process.pid}x${randomBytes(3).toString('hex')}`;
    this.names = { node: `${prefix}-node`, client: `${prefix}-client`, pod: `${prefix}-pod` };
  }

  static async create(spec: TopologySpec): Promise<Topology> {
    installExitHook();
    const topo = new Topology(spec);
    try {
      await topo.build();
    } catch (e) {
      await topo.destroy();
      throw e;
    }
    return topo;
  }

  /** argv prefix that runs a command inside one of the namespaces. */
  exec(role: NsRole, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.names[role], ...argv];
  }

  private async ip(role: NsRole, ...args: string[]): Promise<void> {
    await run(['ip', '-n', this.names[role], ...args]);
  }

  private async sysctl(role: NsRole, ...settings: string[]): Promise<void> {
    await run(this.exec(role, ['sysctl', '-q', '-w', ...settings]));
  }

  private async build(): Promise<void> {
    const { spec, names } = this;
    const v6 = spec.family === 6;
    const host = v6 ? 128 : 32;
    // IPv6 addresses skip duplicate address detection: a tentative address cannot be bound.
    const addr = (role: NsRole, a: string, dev: string) =>
      this.ip(role, 'addr', 'add', a, 'dev', dev, ...(v6 ? ['nodad'] : []));
    const route = (role: NsRole, ...args: string[]) =>
      run(['ip', '-n', names[role], ...(v6 ? ['-6'] : []), 'route', 'add', ...args]);
    for (const role of ['node', 'client', 'pod'] as const) {
      await run(['ip', 'netns', 'add', names[role]]);
      live.add(names[role]);
      await this.ip(role, 'link', 'set', 'lo', 'up');
    }
    // Sysctls first, so interfaces created afterwards inherit `default`.
    const ipv6 = v6
      ? ['net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']
      : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    await this.sysctl(
      'node',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.route_localnet=1',
      'net.ipv4.conf.default.route_localnet=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      ...ipv6,
    );
    for (const role of ['client', 'pod'] as const) {
      await this.sysctl(
        role,
        ...(v6
          ? ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']
          : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']),
      );
    }
    // Routed pod traffic only: bridged frames must not run iptables (br_netfilter),
    // which chainwalk's node model does not have. Per-namespace since Linux 5.3.
    for (const key of ['net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']) {
      await run(this.exec('node', ['sysctl', '-q', '-w', key]), { allowFailure: true });
    }

    // Uplink: node eth0 <-> client eth0.
    await this.ip('node', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.client);
    await addr('node', `${spec.nodeIP}/${spec.uplinkPrefix}`, 'eth0');
    for (const a of spec.nodeExtraIPs) await addr('node', `${a}/${spec.uplinkPrefix}`, 'eth0');
    await addr('client', `${spec.clientIP}/${spec.uplinkPrefix}`, 'eth0');
    for (const a of spec.clientAddrs) await addr('client', `${a}/${host}`, 'eth0');
    await this.ip('node', 'link', 'set', 'eth0', 'up');
    await this.ip('client', 'link', 'set', 'eth0', 'up');
    await route('client', 'default', 'via', spec.nodeIP);

    // Pod side: a bridge in the node, the pod on a veth attached to it.
    const b = spec.bridge;
    const prefix = b.cidr.split('/')[1];
    await this.ip('node', 'link', 'add', b.name, 'type', 'bridge');
    await addr('node', `${b.address}/${prefix}`, b.name);
    await this.ip('node', 'link', 'add', 'vethpod0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', names.pod);
    await this.ip('node', 'link', 'set', 'vethpod0', 'master', b.name);
    await this.ip('node', 'link', 'set', 'vethpod0', 'up');
    await this.ip('node', 'link', 'set', b.name, 'up');
    await addr('pod', `${b.podIP}/${prefix}`, 'eth0');
    for (const a of spec.podAddrs) await addr('pod', `${a}/${host}`, 'eth0');
    await this.ip('pod', 'link', 'set', 'eth0', 'up');
    await route('pod', 'default', 'via', b.address);

    if (spec.localAddrs.length > 0) {
      // A dummy like kube-proxy's ipvs mode; kernels without the dummy module
      // get a port-less bridge, whose addresses are just as LOCAL.
      const dummy = await run(['ip', '-n', names.node, 'link', 'add', 'kube-ipvs0', 'type', 'dummy'], {
        allowFailure: true,
      });
      if (dummy.code !== 0) await this.ip('node', 'link', 'add', 'kube-ipvs0', 'type', 'bridge');
      for (const a of spec.localAddrs) await addr('node', `${a}/${host}`, 'kube-ipvs0');
      await this.ip('node', 'link', 'set', 'kube-ipvs0', 'up');
    }

    for (const cidr of spec.remoteCIDRs) await route('node', cidr, 'via', spec.clientIP);
    await route('node', 'default', 'via', spec.clientIP);
    // rp_filter is max(all, dev): make sure every interface says 0.
    const ifaces = ['eth0', b.name, 'vethpod0', 'lo', ...(spec.localAddrs.length ? ['kube-ipvs0'] : [])];
    await this.sysctl('node', ...ifaces.map((i) => `net.ipv4.conf.${i}.rp_filter=0`));
  }

  async destroy(): Promise<void> {
    for (const name of Object.values(this.names)) {
      await run(['ip', 'netns', 'del', name], { allowFailure: true, timeoutMs: 5000 });
      live.delete(name);
    }
  }
}
