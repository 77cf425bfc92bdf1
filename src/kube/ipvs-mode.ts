// generateFromYaml's IPVS branch: the same objects, endpoints and config as the iptables mode,
// written as kube-proxy --proxy-mode=ipvs would: iptables-save, `ipset save` and `ipvsadm-save -n`.
import type { Diagnostic } from '../model';
import type { GenerateResult } from './index';
import { generateIpvsRules, type IpvsRules } from './ipvs';
import { toIpsetSaveText } from './ipvs-sets';
import { toIpvsadmSaveText } from './ipvsadm';
import type { EndpointSlice, Service } from './objects';
import { canonicalAddress, type ProxierConfig } from './proxier';
import { toRestoreText, toSaveText } from './rules';

export const DEFAULT_IPVS_SCHEDULER = 'rr';

export interface IpvsOutput extends IpvsRules {
  /** `ipset save` text: every KUBE-* set, empty ones included (kube-proxy creates them all). */
  ipsetSave: string;
  /** `ipvsadm-save -n` text. */
  ipvsadmSave: string;
}

export interface IpvsGenerateResult extends GenerateResult {
  ipvs: IpvsOutput;
  /** The IPv6 half's ipsets and virtual servers, when some Service has an IPv6 cluster IP. */
  ipvs6: IpvsOutput | null;
}

function output(rules: IpvsRules): IpvsOutput {
  return { ...rules, ipsetSave: toIpsetSaveText(rules.ipsets), ipvsadmSave: toIpvsadmSaveText(rules.virtualServers) };
}

export function generateIpvsResult(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  config: ProxierConfig,
  scheduler: string,
  diagnostics: Diagnostic[],
): IpvsGenerateResult {
  const ipvsConfig = { ...config, scheduler };
  const v4 = generateIpvsRules(services, slices, ipvsConfig, 4);
  const dualStack = services.some((s) => s.clusterIPs.some((ip) => canonicalAddress(ip, 6) !== null));
  const v6 = dualStack ? generateIpvsRules(services, slices, ipvsConfig, 6) : null;
  return {
    dump: toSaveText(v4.ruleset, 4),
    restore: toRestoreText(v4.ruleset, ['nat', 'filter']),
    ruleset: v4.ruleset,
    ipv6: v6 && {
      dump: toSaveText(v6.ruleset, 6),
      restore: toRestoreText(v6.ruleset, ['nat', 'filter']),
      ruleset: v6.ruleset,
    },
    diagnostics,
    services: [...v4.servicePorts, ...(v6?.servicePorts ?? [])],
    config,
    ipvs: output(v4),
    ipvs6: v6 && output(v6),
  };
}

/** The three outputs as one paste: iptables-save, then `ipset save`, then `ipvsadm-save -n`. */
export function ipvsNodeDump(result: IpvsGenerateResult, family: 4 | 6 = 4): string {
  const ipvs = family === 6 ? result.ipvs6 : result.ipvs;
  const dump = family === 6 ? result.ipv6?.dump : result.dump;
  if (!ipvs || dump === undefined) return '';
  return `${[dump.trimEnd(), ipvs.ipsetSave.trimEnd(), ipvs.ipvsadmSave.trimEnd()].filter((s) => s !== '').join('\n')}\n`;
}
