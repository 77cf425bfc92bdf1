import type { Cidr, NodeContext, NodeDump } from '../model';
import { cidrContains, formatIp, type IpValue, parseCidr, parseIp } from '../parse';

/** A NodeContext with the defaults the CLI and the app start from; any field can be overridden. */
export function nodeContext(overrides: Partial<NodeContext> = {}): NodeContext {
  return {
    nodeIPs: ['192.168.0.2'],
    localAddresses: [],
    podCIDR: '10.244.0.0/24',
    uplink: 'eth0',
    podIface: 'cni0',
    routeLocalnet: true,
    recent: {},
    ipsets: {},
    ...overrides,
  };
}

/** The node as routing sees it: which addresses are local (and on which interface), where others go. */
export interface Routing {
  /** ctx.nodeIPs without their prefixes (`192.168.0.2/24` → `192.168.0.2`). */
  nodeIPs: string[];
  /** Address text (canonical) → the interface it is on. */
  local: Map<string, string>;
  podCidr: Cidr | null;
  podIfaceAddress: string;
  /** Broadcast addresses of the node's subnets. */
  broadcast: Set<string>;
  ctx: NodeContext;
}

const LOOPBACK4 = parseCidr('127.0.0.0/8') as Cidr;

/** The dummy interface kube-proxy binds service addresses to (pkg/proxy/ipvs/proxier.go defaultDummyDevice). */
export const IPVS_DUMMY = 'kube-ipvs0';

/** Sets whose entries are service addresses (on kube-ipvs0), not node IPs (pkg/proxy/ipvs/ipset.go). */
const SERVICE_ADDRESS_SETS = [
  'KUBE-CLUSTER-IP',
  'KUBE-EXTERNAL-IP',
  'KUBE-EXTERNAL-IP-LOCAL',
  'KUBE-LOAD-BALANCER',
  'KUBE-LOAD-BALANCER-LOCAL',
];

/**
 * The node IPs a node paste shows: in ipvs mode a NodePort is a virtual service on each node
 * address (GetAllLocalAddressesExcept), so a virtual-service address whose port is in a
 * KUBE-NODE-PORT-* set and which no service-address set lists is a node IP. In paste order.
 */
export function inferNodeIPs(dump: Pick<NodeDump, 'ipvs' | 'ipsets'>): string[] {
  const sets = dump.ipsets;
  const serviceAddrs = new Set<string>();
  for (const base of SERVICE_ADDRESS_SETS)
    for (const name of [base, `KUBE-6-${base}`.slice(0, 31)])
      for (const e of sets[name]?.entries ?? []) serviceAddrs.add(canonIp(e.split(',')[0]));
  const nodePorts = new Set<string>();
  for (const [name, set] of Object.entries(sets)) {
    const m = /^KUBE-(?:6-)?NODE-PORT-(?:LOCAL-)?(TCP|UDP)$/.exec(name);
    if (m) for (const e of set.entries) nodePorts.add(`${m[1].toLowerCase()}:${e.split(/\s/)[0]}`);
    if (/^KUBE-(?:6-)?NODE-PORT-(?:LOCAL-)?SCTP-HASH$/.test(name))
      for (const e of set.entries) {
        const [ip, port] = e.split(/\s/)[0].split(',');
        serviceAddrs.delete(canonIp(ip));
        nodePorts.add(port ?? '');
      }
  }
  const out: string[] = [];
  for (const svc of dump.ipvs?.services ?? []) {
    if (svc.address === '' || serviceAddrs.has(svc.address) || out.includes(svc.address)) continue;
    if (nodePorts.has(`${svc.protocol}:${svc.port}`)) out.push(svc.address);
  }
  return out;
}

function canonIp(text: string): string {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : text;
}

/**
 * The node context a node paste implies: its ipsets and IPVS table, and (unless overridden)
 * the node IPs its NodePort virtual services show. Overrides win.
 */
export function nodeContextFromDump(
  dump: Pick<NodeDump, 'ipvs' | 'ipsets'>,
  overrides: Partial<NodeContext> = {},
): NodeContext {
  const inferred = inferNodeIPs(dump);
  return nodeContext({
    ipsets: dump.ipsets,
    ...(dump.ipvs ? { ipvs: dump.ipvs } : {}),
    ...(inferred.length > 0 ? { nodeIPs: inferred } : {}),
    ...overrides,
  });
}

/** The first host of a CIDR (the bridge's usual address), e.g. 10.244.0.0/24 → 10.244.0.1. */
function firstHost(c: Cidr): string {
  return c.family === 4
    ? formatIp({ family: 4, value: (c.addr + 1) >>> 0 })
    : formatIp({ family: 6, value: c.addr + 1n });
}

function addBroadcast(set: Set<string>, c: Cidr): void {
  if (c.family === 4) set.add(formatIp({ family: 4, value: (c.addr | ~c.mask) >>> 0 }));
}

export function buildRouting(ctx: NodeContext): Routing {
  const local = new Map<string, string>();
  const canon = (a: string) => {
    const ip = parseIp(a);
    return ip ? formatIp(ip) : a;
  };
  const broadcast = new Set<string>(['255.255.255.255']);
  const nodeIPs: string[] = [];
  for (const entry of ctx.nodeIPs) {
    // A node IP may carry its prefix (`192.168.0.2/24`): then its subnet's broadcast address is known too.
    const [ip, prefix] = entry.split('/');
    nodeIPs.push(canon(ip));
    local.set(canon(ip), ctx.uplink);
    const subnet = prefix === undefined ? null : parseCidr(entry);
    if (subnet && subnet.family === 4 && subnet.prefix < 31) addBroadcast(broadcast, subnet);
  }
  const podCidr = parseCidr(ctx.podCIDR);
  const podIfaceAddress = ctx.podIfaceAddress ?? (podCidr ? firstHost(podCidr) : '');
  if (podIfaceAddress) local.set(canon(podIfaceAddress), ctx.podIface);
  for (const ip of ctx.localAddresses) if (!local.has(canon(ip))) local.set(canon(ip), 'lo');
  // kube-proxy ipvs mode binds every ClusterIP, external IP and LB IP to the kube-ipvs0 dummy
  // (proxier.go syncService: netlinkHandle.EnsureAddressBind); NodePort services use node IPs.
  for (const svc of ctx.ipvs?.services ?? [])
    if (svc.address !== '' && !local.has(svc.address)) local.set(svc.address, IPVS_DUMMY);
  if (podCidr && podCidr.family === 4 && podCidr.prefix < 31) addBroadcast(broadcast, podCidr);
  return { nodeIPs, local, podCidr, podIfaceAddress, broadcast, ctx };
}

export type AddrType = 'LOCAL' | 'UNICAST' | 'BROADCAST' | 'MULTICAST';

export function isLoopback(ip: IpValue): boolean {
  return ip.family === 4 ? cidrContains(LOOPBACK4, ip) : ip.value === 1n;
}

/** The kernel's address type (inet_addr_type): what `-m addrtype` tests. */
export function addrType(r: Routing, text: string): AddrType {
  const ip = parseIp(text);
  if (!ip) return 'UNICAST';
  if (ip.family === 4) {
    const v = ip.value;
    if (v >>> 24 === 0 || r.broadcast.has(text)) return 'BROADCAST';
    if (v >>> 28 === 14) return 'MULTICAST';
  } else if (ip.value >> 120n === 0xffn) return 'MULTICAST';
  if (isLoopback(ip) || r.local.has(text)) return 'LOCAL';
  return 'UNICAST';
}

/** The interface an address is assigned to ('' if not local). */
export function localIface(r: Routing, text: string): string {
  const ip = parseIp(text);
  if (ip && isLoopback(ip)) return 'lo';
  return r.local.get(text) ?? '';
}

/** Where a packet to `dst` leaves: lo for local addresses, the pod interface for the pod CIDR, else the uplink. */
export function routeOut(r: Routing, dst: string): string {
  if (addrType(r, dst) === 'LOCAL') return 'lo';
  const ip = parseIp(dst);
  if (ip && r.podCidr && cidrContains(r.podCidr, ip)) return r.ctx.podIface;
  return r.ctx.uplink;
}

/**
 * The primary address of an interface in the packet's family, as REDIRECT picks it
 * (MASQUERADE towards lo differs: see masqueradeAddress).
 */
export function ifaceAddress(r: Routing, iface: string, family: 4 | 6 = 4): string | null {
  const same = (a: string) => a.includes(':') === (family === 6);
  if (iface === r.ctx.uplink) return r.nodeIPs.find(same) ?? null;
  if (iface === r.ctx.podIface) return r.podIfaceAddress && same(r.podIfaceAddress) ? r.podIfaceAddress : null;
  if (iface === 'lo') return family === 4 ? '127.0.0.1' : '::1';
  return null;
}

/**
 * The source MASQUERADE picks: inet_select_addr(out, …, RT_SCOPE_UNIVERSE). lo has only
 * host-scope addresses, so the kernel falls back to the first global address of the
 * namespace: the node IP (seen on the kernel: 10.244.0.1 → 127.0.0.1, out lo, became 192.168.0.2).
 */
export function masqueradeAddress(r: Routing, iface: string, family: 4 | 6): string | null {
  if (iface === 'lo') return r.nodeIPs.find((a) => a.includes(':') === (family === 6)) ?? null;
  return ifaceAddress(r, iface, family);
}
