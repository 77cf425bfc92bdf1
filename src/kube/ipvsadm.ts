// `ipvsadm-save -n` (ipvsadm -S -n) for the virtual servers kube-proxy's IPVS proxier creates:
// ipvsadm.c print_service_entry in save form. One `-A` line per virtual server, then one `-a` line
// per real server; masquerading (`-m`) is the only forwarding kube-proxy uses.
import { hostPort } from '../parse';
import type { VirtualServer } from './ipvs';

const SERVICE_OPTION = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' } as const;

export function toIpvsadmSaveText(virtualServers: readonly VirtualServer[]): string {
  const lines: string[] = [];
  for (const vs of virtualServers) {
    const service = `${SERVICE_OPTION[vs.protocol]} ${hostPort(vs.address, vs.port)}`;
    // -p with the timeout for IP_VS_SVC_F_PERSISTENT; the /32 (/128) netmask is not printed.
    const persistent = vs.persistentTimeout !== null ? ` -p ${vs.persistentTimeout}` : '';
    // IP_VS_SVC_F_SCHED2 (0x10) is printed as mh-port under mh, sh-port under sh.
    const flags = vs.sourceHash
      ? vs.scheduler === 'mh' || vs.scheduler === 'sh'
        ? ` -b ${vs.scheduler}-port`
        : ' -b flag-2'
      : '';
    lines.push(`-A ${service} -s ${vs.scheduler}${persistent}${flags}`);
    for (const rs of vs.realServers) lines.push(`-a ${service} -r ${hostPort(rs.address, rs.port)} -m -w ${rs.weight}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
