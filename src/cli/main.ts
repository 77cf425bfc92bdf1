import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  generateFromYaml,
  ipvsNodeDump,
  type KubeProxyOptions,
  LAYOUTS,
  type ProxierConfig,
  type ProxierLayout,
} from '../kube';
import type {
  Diagnostic,
  IpvsEvent,
  NodeContext,
  NodeDump,
  Origin,
  Packet,
  Protocol,
  Ruleset,
  TraceResult,
} from '../model';
import { getRule, parseNodeDump, ruleLocation } from '../parse';
import { sourceNatWord } from '../share';
import { nodeContextFromDump, simulate, toContractJson } from '../sim';

const USAGE = `usage:
  chainwalk parse FILE
  chainwalk trace FILE [FILE…] --from external|pod|local --proto tcp|udp|sctp|icmp --src IP:PORT --dst IP:PORT
                  [--node-ip IP]… [--pod-cidr CIDR] [--uplink IF] [--pod-if IF] [--pod-if-ip IP]
                  [--local-address IP]… [--mark N] [--recent NAME=IP[,IP…]]… [--ipsets FILE] [--json]
  chainwalk generate FILE.yaml [--kube-proxy-version 1.24 | --layout current|1.24|legacy]
                  [--cluster-cidr CIDR[,CIDR6]] [--detect-local-mode ClusterCIDR|NodeCIDR|BridgeInterface|InterfaceNamePrefix]
                  [--pod-cidr CIDR] [--pod-bridge-interface IF] [--pod-interface-name-prefix PREFIX]
                  [--node-ip IP]… [--node-name NAME] [--nodeport-addresses CIDR[,CIDR…]] [--masquerade-all]
                  [--example-endpoints N] [--ipv6 (print the ip6tables-save half)]
                  [--mode iptables|ipvs] [--scheduler rr|wrr|lc|sh|mh…]
                  versions: 1.25 and later → current; 1.24 → 1.24 (KUBE-EXT, KUBE-MARK-DROP); 1.23 and before → legacy (KUBE-XLB)
                  (ipvs: iptables-save, then ipset save, then ipvsadm-save -n, as one paste)
FILE may be - for standard input. A FILE may hold any mix of iptables-save, ip6tables-save, ipset save / ipset list
and ipvsadm-save -n / ipvsadm -Ln output (kube-proxy ipvs mode); trace takes several such files as one paste.`;

function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.span.line}:${d.span.column}: ${d.severity}: ${d.message}`;
}

/** Several files read as one paste; `where` maps a line of the paste back to its file and line. */
interface Inputs {
  text: string;
  where(line: number): { file: string; line: number };
}

function readInputs(files: string[]): Inputs {
  const parts: { file: string; first: number }[] = [];
  const texts: string[] = [];
  let line = 1;
  for (const file of files) {
    const text = readInput(file);
    parts.push({ file, first: line });
    const body = text.endsWith('\n') || text === '' ? text : `${text}\n`;
    texts.push(body);
    line += body.split('\n').length - 1;
  }
  return {
    text: texts.join(''),
    where(l) {
      let k = parts.length - 1;
      while (k > 0 && parts[k].first > l) k--;
      return { file: parts[k].file, line: l - parts[k].first + 1 };
    },
  };
}

function formatDiagnosticIn(inputs: Inputs, d: Diagnostic): string {
  const at = inputs.where(d.span.line);
  return formatDiagnostic(at.file, { ...d, span: { ...d.span, line: at.line } });
}

const SECTION_NAMES: Record<string, string> = {
  'iptables-save': 'iptables-save',
  'ip6tables-save': 'ip6tables-save',
  'ipset-save': 'ipset save',
  'ipset-list': 'ipset list',
  'ipvsadm-save': 'ipvsadm-save -n',
  'ipvsadm-list': 'ipvsadm -Ln',
};

/** One line per section of a node paste: where it is and what it holds. */
function describeSections(dump: NodeDump): string[] {
  const sets = Object.values(dump.ipsets);
  const services = dump.ipvs?.services ?? [];
  return dump.sections.map((sec) => {
    const inRange = (line: number) => line >= sec.firstLine && line <= sec.lastLine;
    let what = '';
    if (sec.kind === 'iptables-save' || sec.kind === 'ip6tables-save') {
      const rs = sec.kind === 'ip6tables-save' ? dump.ruleset6 : dump.ruleset;
      const tables = rs ? rs.tables.filter((t) => inRange(t.span.line)) : [];
      let rules = 0;
      if (rs) for (let id = 0; id < rs.rules.count; id++) if (inRange(rs.rules.line[id])) rules++;
      what = `${tables.map((t) => t.name).join(', ') || 'no tables'}; ${rules} rules`;
    } else if (sec.kind === 'ipvsadm-save' || sec.kind === 'ipvsadm-list') {
      const here = services.filter((v) => inRange(v.span.line));
      what = `${here.length} virtual services, ${here.reduce((n, v) => n + v.realServers.length, 0)} real servers`;
    } else {
      what = `${sets.length} sets, ${sets.reduce((n, set) => n + set.entries.length, 0)} entries (all ipset sections)`;
    }
    return `  lines ${`${sec.firstLine}-${sec.lastLine}`.padEnd(13)} ${SECTION_NAMES[sec.kind].padEnd(16)} ${what}`;
  });
}

/** Services named in kube-proxy's comments: `ns/name:port` (or `ns/name`) at the start of a comment. */
export function servicesInComments(ruleset: Ruleset): string[] {
  const names = new Set<string>();
  for (let id = 0; id < ruleset.rules.count; id++) {
    const c = getRule(ruleset, id).comment;
    if (!c) continue;
    const m = /^([a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*(?::[-a-z0-9]+)?)(?:\s|$)/.exec(c);
    if (m) names.add(m[1]);
  }
  ruleset.decoded.length = 0;
  return [...names].sort();
}

function parseCommand(file: string, out: (s: string) => void, err: (s: string) => void): number {
  const text = readInput(file);
  const dump = parseNodeDump(text);
  const { diagnostics } = dump;
  for (const d of diagnostics) err(formatDiagnostic(file, d));
  const rulesets = dump.ruleset6 ? [dump.ruleset, dump.ruleset6] : [dump.ruleset];
  const tables = rulesets.flatMap((rs) => rs.tables);
  const rules = rulesets.reduce((n, rs) => n + rs.rules.count, 0);
  const chains = tables.reduce((n, t) => n + t.chains.length, 0);
  out(`${file}: ${tables.length} tables, ${chains} chains, ${rules} rules`);
  for (const t of tables) {
    const count = t.chains.reduce((n, c) => n + c.rules.length, 0);
    out(
      `  IPv${t.family} ${t.name.padEnd(8)} ${String(t.chains.length).padStart(7)} chains ${String(count).padStart(8)} rules${t.committed ? '' : '  (no COMMIT)'}`,
    );
  }
  if (dump.sections.some((sec) => sec.kind !== 'iptables-save' && sec.kind !== 'ip6tables-save')) {
    out(`Sections (kube-proxy ${dump.mode} mode):`);
    for (const l of describeSections(dump)) out(l);
  }
  const services = rulesets.flatMap((rs) => servicesInComments(rs)).sort();
  out(`Services named in comments: ${services.length}`);
  for (const s of services.slice(0, 50)) out(`  ${s}`);
  if (services.length > 50) out(`  …and ${services.length - 50} more`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  out(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return errors > 0 ? 1 : 0;
}

function hostPort(text: string, what: string): { ip: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (m) return { ip: m[1], port: Number(m[2]) };
  if (/^[\d.]+$/.test(text) || text.includes(':')) return { ip: text, port: 0 };
  throw new UsageError(`${what} must be IP:PORT (or [IPv6]:PORT), not '${text}'`);
}

class UsageError extends Error {}

function describeIpvs(x: IpvsEvent): string {
  switch (x.action) {
    case 'schedule':
      return `schedule (${x.candidates} candidate${x.candidates === 1 ? '' : 's'})`;
    case 'forward':
      return `${x.service} → real server ${x.realServer} (${x.forward})`;
    case 'no-destination':
      return `${x.service}: no real server (ICMP port unreachable)`;
    case 'no-service':
      return 'no virtual service: accepted';
    default:
      return x.action;
  }
}

function describeTrace(result: TraceResult, ruleset: Ruleset): string[] {
  const lines: string[] = [];
  result.paths.forEach((p, i) => {
    lines.push(
      `path ${i + 1} of ${result.paths.length}: probability ${(p.probability * 100).toFixed(4).replace(/\.?0+$/, '')}%`,
    );
    let hook = '';
    const header = (leg: number, name: string) => {
      const h = `${leg > 0 ? 'lo → ' : ''}${name}`;
      if (h !== hook) {
        lines.push(`  ${h}`);
        hook = h;
      }
    };
    const ipvsAt = (i: number) => {
      for (const x of p.ipvs ?? []) {
        if (x.at !== i) continue;
        header(x.leg, x.hook);
        lines.push(`    ${`IPVS ${x.fn}`.padEnd(42)} ${x.verdict.padEnd(30)}  ${describeIpvs(x)}`);
        for (const n of x.notes ?? []) lines.push(`      ${n}`);
      }
    };
    p.events.forEach((e, i) => {
      ipvsAt(i);
      if (e.implicit) return;
      header(e.leg, e.hook);
      const where = `${e.table}:${e.chain}${e.rule !== null ? `:${e.rule}` : `:${e.kind}`}`;
      const text = e.ruleId !== null ? `  ${getRule(ruleset, e.ruleId).text}` : '';
      lines.push(
        `    ${where.padEnd(42)} ${e.verdict.padEnd(30)}${text.length > 140 ? `${text.slice(0, 137)}...` : text}`,
      );
      for (const n of e.notes ?? []) lines.push(`      ${n}`);
    });
    ipvsAt(p.events.length);
    const f = p.final;
    const where =
      f.disposition === 'local'
        ? `delivered to a local socket on this node`
        : f.disposition === 'out'
          ? `sent out of ${f.iface}`
          : f.disposition === 'dropped' && f.verdict === 'ACCEPT'
            ? 'netfilter accepted it, then routing dropped it'
            : f.disposition === 'error'
              ? 'the walk stopped'
              : f.byRuleId !== undefined
                ? `${f.disposition} by ${ruleLocation(ruleset, f.byRuleId)}`
                : p.ipvs?.at(-1)?.action === 'no-destination'
                  ? 'rejected by IPVS: the virtual service has no real server (ICMP port unreachable)'
                  : `${f.disposition} by the chain's policy`;
    const nat = sourceNatWord(f);
    const random = f.sportRandom
      ? `; the kernel picks its port at random in ${f.sportRandom.lo}-${f.sportRandom.hi}`
      : '';
    lines.push(
      `  → ${f.verdict}: ${where}; packet ${f.src}:${f.sport} → ${f.dst}:${f.dport}${nat ? ` (source ${nat}${random})` : ''}`,
    );
    if (p.error) lines.push(`  error: ${p.error}`);
    for (const a of p.assumptions) lines.push(`  assumed at ${a.location}: ${a.what}`);
  });
  if (result.paths.length === 0) lines.push('no path');
  for (const n of result.notes) lines.push(`note: ${n}`);
  return lines;
}

function traceCommand(file: string, argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      proto: { type: 'string', default: 'tcp' },
      src: { type: 'string' },
      dst: { type: 'string' },
      'node-ip': { type: 'string', multiple: true },
      'pod-cidr': { type: 'string' },
      uplink: { type: 'string' },
      'pod-if': { type: 'string' },
      'pod-if-ip': { type: 'string' },
      'local-address': { type: 'string', multiple: true },
      mark: { type: 'string' },
      recent: { type: 'string', multiple: true },
      ipsets: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const from = values.from as Origin | undefined;
  if (!from || !['external', 'pod', 'local'].includes(from))
    throw new UsageError('--from must be external, pod or local');
  const proto = values.proto as Protocol;
  if (!['tcp', 'udp', 'sctp', 'icmp'].includes(proto)) throw new UsageError('--proto must be tcp, udp, sctp or icmp');
  if (!values.src || !values.dst) throw new UsageError('--src and --dst are required');
  const src = hostPort(values.src, '--src');
  const dst = hostPort(values.dst, '--dst');
  const overrides: Partial<NodeContext> = {};
  if (values['node-ip']) overrides.nodeIPs = values['node-ip'];
  if (values['pod-cidr']) overrides.podCIDR = values['pod-cidr'];
  if (values.uplink) overrides.uplink = values.uplink;
  if (values['pod-if']) overrides.podIface = values['pod-if'];
  if (values['pod-if-ip']) overrides.podIfaceAddress = values['pod-if-ip'];
  if (values['local-address']) overrides.localAddresses = values['local-address'];
  for (const r of values.recent ?? []) {
    const [name, ips] = r.split('=');
    if (!name || !ips) throw new UsageError(`--recent must be NAME=IP[,IP…], not '${r}'`);
    overrides.recent = { ...overrides.recent, [name]: ips.split(',') };
  }
  // One paste from every file (and --ipsets, kept for older scripts): rules, sets and the IPVS table.
  const inputs = readInputs([file, ...positionals, ...(values.ipsets ? [values.ipsets] : [])]);
  const dump = parseNodeDump(inputs.text);
  for (const d of dump.diagnostics) if (d.severity === 'error') err(formatDiagnosticIn(inputs, d));
  const ctx = nodeContextFromDump(dump, overrides);
  const packet: Packet = { origin: from, proto, src: src.ip, sport: src.port, dst: dst.ip, dport: dst.port };
  if (values.mark) packet.mark = Number(values.mark);
  const ruleset = dst.ip.includes(':') && dump.ruleset6 ? dump.ruleset6 : dump.ruleset;
  const result = simulate(ruleset, ctx, packet);
  if (values.json) out(JSON.stringify(toContractJson(result)));
  else for (const l of describeTrace(result, ruleset)) out(l);
  return result.paths.length === 0 || result.paths.some((p) => p.error) ? 1 : 0;
}

/** Service / EndpointSlice YAML → the iptables-save text kube-proxy would write; diagnostics on stderr. */
function generateCommand(file: string, argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      'kube-proxy-version': { type: 'string' },
      layout: { type: 'string' },
      'cluster-cidr': { type: 'string' },
      'detect-local-mode': { type: 'string' },
      'pod-cidr': { type: 'string' },
      'pod-bridge-interface': { type: 'string' },
      'pod-interface-name-prefix': { type: 'string' },
      'node-ip': { type: 'string', multiple: true },
      'node-name': { type: 'string' },
      'nodeport-addresses': { type: 'string' },
      'example-endpoints': { type: 'string' },
      'masquerade-all': { type: 'boolean', default: false },
      ipv6: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'iptables' },
      scheduler: { type: 'string' },
    },
    strict: true,
  });
  if (values.mode !== 'iptables' && values.mode !== 'ipvs') throw new UsageError('--mode must be iptables or ipvs');
  if (values.scheduler !== undefined && values.mode !== 'ipvs') throw new UsageError('--scheduler needs --mode ipvs');
  const examples = values['example-endpoints'] === undefined ? 0 : Number(values['example-endpoints']);
  if (!Number.isInteger(examples) || examples < 0) throw new UsageError('--example-endpoints must be a whole number');
  const layout = values.layout as ProxierLayout | undefined;
  if (layout !== undefined && !LAYOUTS.includes(layout))
    throw new UsageError(`--layout must be one of ${LAYOUTS.join(', ')}, not '${layout}'`);
  const options: KubeProxyOptions = {
    kubeProxyVersion: values['kube-proxy-version'],
    layout,
    ...localTrafficDetector(values),
    nodeIPs: values['node-ip'],
    nodeName: values['node-name'],
    nodePortAddresses: values['nodeport-addresses']?.split(','),
    masqueradeAll: values['masquerade-all'],
    exampleEndpoints: examples,
    podCIDR: values['pod-cidr'],
  };
  const text = readInput(file);
  const ipvs =
    values.mode === 'ipvs' ? generateFromYaml(text, { ...options, mode: 'ipvs', scheduler: values.scheduler }) : null;
  const result = ipvs ?? generateFromYaml(text, options);
  for (const d of result.diagnostics) err(formatDiagnostic(file, d));
  if (values.ipv6 && !result.ipv6) err(`${file}: no Service has an IPv6 cluster IP; there is no ip6tables half`);
  if (ipvs) out(ipvsNodeDump(ipvs, values.ipv6 ? 6 : 4).trimEnd());
  else out((values.ipv6 ? (result.ipv6?.dump ?? '') : result.dump).trimEnd());
  return result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** kube-proxy's --detect-local-mode and the flags each mode reads (pkg/proxy/util/localdetector.go). */
function localTrafficDetector(values: {
  'detect-local-mode'?: string;
  'cluster-cidr'?: string;
  'pod-cidr'?: string;
  'pod-bridge-interface'?: string;
  'pod-interface-name-prefix'?: string;
}): Pick<KubeProxyOptions, 'clusterCIDR' | 'detectLocal'> {
  const mode = values['detect-local-mode'] ?? 'ClusterCIDR';
  const need = (flag: 'cluster-cidr' | 'pod-cidr' | 'pod-bridge-interface' | 'pod-interface-name-prefix') => {
    const value = values[flag];
    if (!value) throw new UsageError(`--detect-local-mode ${mode} needs --${flag}`);
    return value;
  };
  const detectLocal: ProxierConfig['detectLocal'] =
    mode === 'BridgeInterface'
      ? { mode, interface: need('pod-bridge-interface') }
      : mode === 'InterfaceNamePrefix'
        ? { mode, prefix: need('pod-interface-name-prefix') }
        : undefined;
  if (mode === 'ClusterCIDR') return { clusterCIDR: values['cluster-cidr'] };
  if (mode === 'NodeCIDR') return { clusterCIDR: need('pod-cidr') };
  if (detectLocal) return { detectLocal };
  throw new UsageError(
    `--detect-local-mode must be ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix, not '${mode}'`,
  );
}

export async function main(
  argv: string[],
  out = (s: string) => console.log(s),
  err = (s: string) => console.error(s),
): Promise<number> {
  const [command, file, ...rest] = argv;
  try {
    if (command === 'parse' && file) return parseCommand(file, out, err);
    if (command === 'trace' && file) return traceCommand(file, rest, out, err);
    if (command === 'generate' && file) return generateCommand(file, rest, out, err);
    if (command === '--help' || command === '-h' || command === 'help') {
      out(USAGE);
      return 0;
    }
    err(USAGE);
    return 2;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`chainwalk: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if ((e as { code?: string }).code === 'ENOENT') {
      err(`chainwalk: cannot read ${file}: no such file`);
      return 2;
    }
    throw e;
  }
}
