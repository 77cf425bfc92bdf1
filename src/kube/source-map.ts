// Service YAML ↔ generated chains, both ways, for the editor: where each Service and each of its
// ports stands in the YAML, which chains they generated, and where each chain is declared in the
// generated dumps. Pure; built from generateFromYaml's result and the YAML it read.
import type { Family, SourceSpan } from '../model';
import type { GenerateResult } from './index';
import type { Protocol } from './objects';

/** A span with its end, so a cursor position can be tested against it. */
export interface SourceRange extends SourceSpan {
  endLine: number;
  endColumn: number;
}

export interface PortSource {
  /** `ns/name:port` (no colon for an unnamed port). */
  servicePortName: string;
  name: string;
  protocol: Protocol;
  port: number;
  /** The port's entry under spec.ports. */
  range: SourceRange;
  /** Chains generated for this port, per family (KUBE-SVC/SVL/EXT/FW/XLB/SEP-…). */
  chains: { family: Family; chain: string }[];
}

export interface ServiceSource {
  namespace: string;
  name: string;
  /** The Service document (or List item). */
  range: SourceRange;
  ports: PortSource[];
}

export interface ChainSource {
  /** Index into `services`, and into that service's `ports`. */
  service: number;
  port: number;
  family: Family;
}

export interface ServiceSourceMap {
  services: ServiceSource[];
  /** Chain name → the service port that generated it (chain names are unique per family; a dual-stack port shares them). */
  chains: Map<string, ChainSource[]>;
  /** Chain name → the 1-based line of its `:CHAIN` declaration in the dump of each family. */
  dumpLines: { 4: Map<string, number>; 6: Map<string, number> };
}

/** Line starts of a text, for offset ↔ position. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function rangeOf(span: SourceSpan, starts: readonly number[], textLength: number): SourceRange {
  const start = Math.min((starts[span.line - 1] ?? 0) + span.column - 1, textLength);
  const end = Math.min(start + span.length, textLength);
  let line = span.line;
  while (line < starts.length && starts[line] <= end) line++;
  return { ...span, endLine: line, endColumn: end - starts[line - 1] + 1 };
}

function declarationLines(dump: string): Map<string, number> {
  const lines = new Map<string, number>();
  dump.split('\n').forEach((text, i) => {
    if (!text.startsWith(':')) return;
    const chain = text.slice(1, text.indexOf(' '));
    if (!lines.has(chain)) lines.set(chain, i + 1);
  });
  return lines;
}

export function serviceSourceMap(
  yaml: string,
  result: Pick<GenerateResult, 'services' | 'dump' | 'ipv6'>,
): ServiceSourceMap {
  const starts = lineStarts(yaml);
  const services: ServiceSource[] = [];
  const chains = new Map<string, ChainSource[]>();
  const byKey = new Map<string, number>();
  for (const sp of result.services) {
    const key = `${sp.service.namespace}/${sp.service.name}`;
    let index = byKey.get(key);
    if (index === undefined) {
      index = services.length;
      byKey.set(key, index);
      services.push({
        namespace: sp.service.namespace,
        name: sp.service.name,
        range: rangeOf(sp.service.span, starts, yaml.length),
        ports: [],
      });
    }
    const ports = services[index].ports;
    let portIndex = ports.findIndex((p) => p.servicePortName === sp.servicePortName && p.protocol === sp.protocol);
    if (portIndex === -1) {
      portIndex = ports.length;
      ports.push({
        servicePortName: sp.servicePortName,
        name: sp.port.name,
        protocol: sp.protocol,
        port: sp.port.port,
        range: rangeOf(sp.port.span, starts, yaml.length),
        chains: [],
      });
    }
    for (const chain of sp.chains) {
      ports[portIndex].chains.push({ family: sp.family, chain });
      const list = chains.get(chain) ?? [];
      list.push({ service: index, port: portIndex, family: sp.family });
      chains.set(chain, list);
    }
  }
  return {
    services,
    chains,
    dumpLines: { 4: declarationLines(result.dump), 6: declarationLines(result.ipv6?.dump ?? '') },
  };
}

const within = (r: SourceRange, line: number, column: number) =>
  (line > r.line || (line === r.line && column >= r.column)) &&
  (line < r.endLine || (line === r.endLine && column < r.endColumn));

/** The Service (and port, if the cursor is on one) at a 1-based YAML position. */
export function serviceAt(
  map: ServiceSourceMap,
  line: number,
  column: number,
): { service: ServiceSource; port: PortSource | null } | null {
  for (const service of map.services) {
    if (!within(service.range, line, column)) continue;
    return { service, port: service.ports.find((p) => within(p.range, line, column)) ?? null };
  }
  return null;
}

/** The Service and port that generated a chain, or null for kube-proxy's fixed chains. */
export function serviceOfChain(
  map: ServiceSourceMap,
  chain: string,
): { service: ServiceSource; port: PortSource } | null {
  const [first] = map.chains.get(chain) ?? [];
  if (!first) return null;
  const service = map.services[first.service];
  return { service, port: service.ports[first.port] };
}
