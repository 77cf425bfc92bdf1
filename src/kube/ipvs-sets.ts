// The ipsets kube-proxy's IPVS proxier creates (ipsetInfo in pkg/proxy/ipvs/proxier.go, names and
// comments from pkg/proxy/ipvs/ipset.go), in that order, and how `ipset save` prints them.
import type { Family } from '../model';

export const IPSET_INFO = [
  {
    name: 'KUBE-LOOP-BACK',
    type: 'hash:ip,port,ip',
    comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose',
  },
  {
    name: 'KUBE-CLUSTER-IP',
    type: 'hash:ip,port',
    comment: 'Kubernetes service cluster ip + port for masquerade purpose',
  },
  {
    name: 'KUBE-EXTERNAL-IP',
    type: 'hash:ip,port',
    comment: 'Kubernetes service external ip + port for masquerade and filter purpose',
  },
  {
    name: 'KUBE-EXTERNAL-IP-LOCAL',
    type: 'hash:ip,port',
    comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local',
  },
  { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  {
    name: 'KUBE-LOAD-BALANCER-FW',
    type: 'hash:ip,port',
    comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange',
  },
  {
    name: 'KUBE-LOAD-BALANCER-LOCAL',
    type: 'hash:ip,port',
    comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local',
  },
  {
    name: 'KUBE-LOAD-BALANCER-SOURCE-IP',
    type: 'hash:ip,port,ip',
    comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose',
  },
  {
    name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR',
    type: 'hash:ip,port,net',
    comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose',
  },
  { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  {
    name: 'KUBE-NODE-PORT-LOCAL-TCP',
    type: 'bitmap:port',
    comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local',
  },
  { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  {
    name: 'KUBE-NODE-PORT-LOCAL-UDP',
    type: 'bitmap:port',
    comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local',
  },
  {
    name: 'KUBE-NODE-PORT-SCTP-HASH',
    type: 'hash:ip,port',
    comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'",
  },
  {
    name: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH',
    type: 'hash:ip,port',
    comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'",
  },
  { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
] as const;

export type IpsetName = (typeof IPSET_INFO)[number]['name'];

/**
 * IPv6 sets are named KUBE-6-…, cut to ipset's 31 characters (newIPSet in ipset.go), so that
 * both families' sets can live side by side.
 */
export function ipsetName(name: string, family: Family): string {
  return family === 6 ? name.replace('KUBE-', 'KUBE-6-').slice(0, 31) : name;
}

/**
 * `ipset save` for sets created as kube-proxy creates them (ipset/ipset.go CreateSet):
 * hash sets with `family inet[6] hashsize 1024 maxelem 65536`, bitmap:port sets with
 * `range 0-65535`. ipset ≥ 7.? appends `bucketsize 12 initval 0x…` (initval is random), left out here.
 */
export function toIpsetSaveText(
  sets: readonly { name: string; type: string; family: Family; entries: string[] }[],
): string {
  const lines: string[] = [];
  for (const set of sets) {
    const options = set.type.startsWith('bitmap:')
      ? 'range 0-65535'
      : `family ${set.family === 6 ? 'inet6' : 'inet'} hashsize 1024 maxelem 65536`;
    lines.push(`create ${set.name} ${set.type} ${options}`);
    for (const entry of set.entries) lines.push(`add ${set.name} ${entry}`);
  }
  return `${lines.join('\n')}\n`;
}
