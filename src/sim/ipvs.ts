import type { Family, IpvsState, IpvsVirtualService } from '../model';
import { ipvsServiceName } from '../parse';

// IPVS's place in the walk (net/netfilter/ipvs/ip_vs_core.c, ip_vs_ops4[] / ip_vs_ops6[]):
//   LOCAL_IN   ip_vs_in_hook at NF_IP_PRI_NAT_SRC - 1 (99): after filter INPUT, before nat INPUT (100)
//   LOCAL_OUT  ip_vs_in_hook at NF_IP_PRI_NAT_DST + 2 (-98): after nat OUTPUT (-100), before filter (0)
// (older kernels name them ip_vs_remote_request4 / ip_vs_local_request4). The reply hooks
// (ip_vs_out_hook at LOCAL_IN 98, LOCAL_OUT -99, FORWARD 100) find no IPVS connection for a
// connection's first packet and accept it, so the walk does not stop there.
// The walk itself (walk.ts) calls ipvsStage at the 'ipvs' slot of these stage lists.

export type Stage = 'raw' | 'mangle' | 'nat' | 'filter' | 'security' | 'ipvs';

/** The stages of a hook in priority order when the node runs IPVS. */
export const IPVS_HOOK_STAGES: Partial<Record<'INPUT' | 'OUTPUT', Stage[]>> = {
  INPUT: ['mangle', 'filter', 'ipvs', 'nat', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'ipvs', 'filter', 'security'],
};

/** The hook function's name, for the event. */
export const IPVS_HOOK_FN = 'ip_vs_in_hook';

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/**
 * ip_vs_service_find (ip_vs_ctl.c): a fwmark service for the packet's mark first, then the exact
 * protocol + address + port, then a port-0 ("any port") service on that address.
 */
export function findService(
  ipvs: IpvsState,
  family: Family,
  proto: number,
  dst: string,
  dport: number,
  mark: number,
): IpvsVirtualService | null {
  if (mark !== 0) {
    const fwm = ipvs.services.find((s) => s.protocol === 'fwmark' && s.fwmark === mark && s.family === family);
    if (fwm) return fwm;
  }
  let portZero: IpvsVirtualService | null = null;
  for (const s of ipvs.services) {
    if (s.protocol === 'fwmark' || PROTO_NUMBERS[s.protocol] !== proto || s.address !== dst) continue;
    if (s.port === dport) return s;
    if (s.port === 0) portZero = s;
  }
  return portZero;
}

/** Whether `dst` is the address of any virtual service (for the "no service on this port" note). */
export function isServiceAddress(ipvs: IpvsState, dst: string): boolean {
  return ipvs.services.some((s) => s.address === dst);
}

/** Protocols IPVS handles (ip_vs_proto_data_get): others are accepted untouched. */
export function ipvsHandles(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

export { ipvsServiceName };
