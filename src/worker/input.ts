// What the user typed, made into a dump: an iptables-save text is used as it is; Kubernetes YAML or
// JSON (Services, EndpointSlices, Endpoints, Nodes, Pods, Lists) becomes the iptables-save text a
// current kube-proxy would write for it (src/kube). The format is sniffed; no switch is needed.
import { generateFromYaml, ipvsNodeDump } from '../kube';
import type { Diagnostic, IpsetState, IpvsState, NodeDumpSection, Ruleset } from '../model';
import { parseIptablesSave, parseNodeDump } from '../parse';

export type InputKind = 'iptables-save' | 'kube-yaml';

/** kube-proxy's options for YAML input (the node-context panel's "kube-proxy" block). */
export interface KubeInputOptions {
  /** Invent this many ready endpoints, on this node, for Services that have none. */
  exampleEndpoints?: number;
  /** kube-proxy's --cluster-cidr: the local-traffic detector. */
  clusterCIDR?: string;
  /** Where example endpoints get their IPs: this node's pod CIDR. */
  podCIDR?: string;
  masqueradeAll?: boolean;
  /** Which kube-proxy proxier writes the rules: iptables (default) or ipvs (rules, ipsets and IPVS table). */
  mode?: 'iptables' | 'ipvs';
  /** The iptables proxier's layout: current (1.25+), 1.24, or legacy (1.23 and before, KUBE-XLB). */
  layout?: 'current' | '1.24' | 'legacy';
  /** --nodeport-addresses: NodePorts only on node addresses in these CIDRs (empty: all). */
  nodePortAddresses?: string[];
}

/** A Service port's chains and where the Service is in the YAML, to link the two both ways. */
export interface GeneratedService {
  servicePortName: string;
  chains: string[];
  /** The Service's document in the YAML (1-based line). */
  line: number;
  /** The port's entry in the YAML. */
  portLine: number;
}

export type InputInfo =
  | { kind: 'iptables-save' }
  | { kind: 'kube-yaml'; generated: string; services: GeneratedService[]; exampleEndpoints: number };

export interface PreparedInput {
  /** The iptables-save text to parse. */
  dump: string;
  info: InputInfo;
  /** Diagnostics about the YAML itself (line and column in what the user typed). */
  diagnostics: Diagnostic[];
}

const YAML_START = /^(apiVersion|kind|items|metadata|spec)\s*:|^---(\s|$)|^%YAML/;

/** Whether a text is Kubernetes YAML/JSON or an iptables-save dump, from its first meaningful line. */
export function sniffInput(text: string): InputKind {
  const limit = Math.min(text.length, 64 * 1024);
  let start = 0;
  while (start < limit) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('{') || line.startsWith('['))
      return /"(kind|apiVersion)"\s*:/.test(text.slice(0, limit)) ? 'kube-yaml' : 'iptables-save';
    return YAML_START.test(line) ? 'kube-yaml' : 'iptables-save';
  }
  return 'iptables-save';
}

export function prepareInput(text: string, options: KubeInputOptions = {}): PreparedInput {
  if (sniffInput(text) === 'iptables-save') return { dump: text, info: { kind: 'iptables-save' }, diagnostics: [] };
  const exampleEndpoints = options.exampleEndpoints ?? 0;
  const common = {
    exampleEndpoints,
    clusterCIDR: options.clusterCIDR,
    podCIDR: options.podCIDR,
    masqueradeAll: options.masqueradeAll,
    ...(options.nodePortAddresses?.length ? { nodePortAddresses: options.nodePortAddresses } : {}),
  };
  const ipvs = options.mode === 'ipvs' ? generateFromYaml(text, { ...common, mode: 'ipvs' }) : null;
  const result = ipvs ?? generateFromYaml(text, { ...common, layout: options.layout });
  // IPVS mode's paste is the three texts in one, as `chainwalk generate --mode ipvs` prints it.
  const dump = ipvs ? ipvsNodeDump(ipvs) : result.dump;
  const services = result.services.map((s) => ({
    servicePortName: s.servicePortName,
    chains: s.chains,
    line: s.service.span.line,
    portLine: s.port.span.line,
  }));
  return {
    dump,
    info: { kind: 'kube-yaml', generated: dump, services, exampleEndpoints },
    diagnostics: result.diagnostics,
  };
}

/** What a node paste adds to its rules: ipsets and the IPVS table (kube-proxy ipvs mode). */
export interface NodeExtras {
  ipsets: Record<string, IpsetState>;
  ipvs: IpvsState | null;
  mode: 'ipvs' | 'iptables';
  sections: NodeDumpSection[];
}

export const NO_EXTRAS: NodeExtras = { ipsets: {}, ipvs: null, mode: 'iptables', sections: [] };

// A line only an `ipset save` / `ipset list` or `ipvsadm-save` / `ipvsadm -Ln` section has.
const OTHER_SECTION =
  /^(?:create \S+ (?:hash|bitmap|list):|Name: \S|-A -[tuf] \S|-a -[tuf] \S|IP Virtual Server version|Prot LocalAddress)/m;

/** The rules, and the sets and IPVS table when the paste has them (parse/node-dump.ts splits it). */
export function readDump(
  text: string,
  checkRules: boolean,
): { ruleset: Ruleset; diagnostics: Diagnostic[]; extras: NodeExtras } {
  if (!OTHER_SECTION.test(text)) {
    const { ruleset, diagnostics } = parseIptablesSave(text, { checkRules });
    return { ruleset, diagnostics, extras: NO_EXTRAS };
  }
  const dump = parseNodeDump(text, { checkRules });
  return {
    // The IPv4 rules, or the IPv6 ones when the paste has no IPv4.
    ruleset: dump.ruleset.rules.count === 0 && dump.ruleset6 ? dump.ruleset6 : dump.ruleset,
    diagnostics: dump.diagnostics,
    extras: { ipsets: dump.ipsets, ipvs: dump.ipvs, mode: dump.mode, sections: dump.sections },
  };
}
