// YAML or JSON text (one or many documents, `kind: List` too) → the Kubernetes objects kube-proxy
// reads, with every problem as a Diagnostic pointing at its line and column. `yaml` keeps each
// node's source range; a LineCounter turns offsets into positions.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type YAMLMap } from 'yaml';
import type { Diagnostic, Severity, SourceSpan } from '../model';
import type {
  Endpoint,
  EndpointPort,
  EndpointSlice,
  Node as KubeNode,
  Pod,
  Protocol,
  Service,
  ServicePort,
} from './objects';
import { canonicalAddress } from './proxier';

export interface KubeObjects {
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** Legacy v1 Endpoints, already as slices (one per object). */
  legacyEndpoints: EndpointSlice[];
  nodes: KubeNode[];
  pods: Pod[];
}

interface Reader {
  lines: LineCounter;
  diagnostics: Diagnostic[];
}

function spanOf(r: Reader, node: Node | null | undefined): SourceSpan {
  const range = node?.range;
  if (!range) return { line: 1, column: 1, length: 0 };
  const pos = r.lines.linePos(range[0]);
  return { line: pos.line, column: pos.col, length: Math.max(0, range[1] - range[0]) };
}

function report(r: Reader, severity: Severity, code: string, message: string, node: Node | null | undefined): void {
  r.diagnostics.push({ severity, code, message, span: spanOf(r, node) });
}

/** The value node under `key` in a map node, or null. */
function field(node: unknown, key: string): Node | null {
  if (!isMap(node)) return null;
  for (const pair of (node as YAMLMap).items) {
    if (isScalar(pair.key) && pair.key.value === key) return (pair.value as Node | null) ?? null;
  }
  return null;
}

function path(node: unknown, ...keys: string[]): Node | null {
  let current: unknown = node;
  for (const key of keys) current = field(current, key);
  return (current as Node | null) ?? null;
}

function str(node: Node | null): string | null {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : null;
}

function num(node: Node | null): number | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;
}

function bool(node: Node | null): boolean | null {
  return isScalar(node) && typeof node.value === 'boolean' ? node.value : null;
}

function items(node: Node | null): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

function strings(node: Node | null): string[] {
  return items(node)
    .map(str)
    .filter((s): s is string => s !== null);
}

const validAddress = (text: string) => canonicalAddress(text, 4) !== null || canonicalAddress(text, 6) !== null;
const validCidr = (text: string) => {
  const [ip, prefix, extra] = text.trim().split('/');
  const max = ip?.includes(':') ? 128 : 32;
  return extra === undefined && validAddress(ip ?? '') && /^\d{1,3}$/.test(prefix ?? '') && Number(prefix) <= max;
};

/** A list of addresses (or CIDRs); one that is not is reported where it stands, and kube-proxy ignores it. */
function addresses(r: Reader, node: Node | null, what: string, cidr = false): string[] {
  const out: string[] = [];
  for (const item of items(node)) {
    const text = str(item);
    if (text !== null && (cidr ? validCidr(text) : validAddress(text))) out.push(text);
    else
      report(
        r,
        'warning',
        'bad-address',
        `${what} '${text ?? '?'}' is not an IP ${cidr ? 'CIDR' : 'address'}; kube-proxy ignores it`,
        item,
      );
  }
  return out;
}

function protocolOf(r: Reader, node: Node | null): Protocol | null {
  const text = str(node) ?? 'TCP';
  if (text === 'TCP' || text === 'UDP' || text === 'SCTP') return text;
  report(r, 'error', 'bad-protocol', `protocol '${text}' is not TCP, UDP or SCTP; this port is skipped`, node);
  return null;
}

function portNumber(
  r: Reader,
  node: Node | null,
  what: string,
  required: boolean,
  parent: Node | null = null,
): number | null {
  if (node === null) {
    if (required) report(r, 'error', 'missing-port', `${what} is missing; this port is skipped`, parent);
    return null;
  }
  const value = num(node);
  if (value === null || !Number.isInteger(value) || value < 1 || value > 65535) {
    report(
      r,
      'error',
      'port-out-of-range',
      `${what} must be an integer from 1 to 65535, not ${str(node) ?? '?'}`,
      node,
    );
    return null;
  }
  return value;
}

function readService(r: Reader, doc: Node, namespace: string, name: string): Service | null {
  const spec = field(doc, 'spec');
  const typeText = str(field(spec, 'type')) ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(typeText)) {
    report(
      r,
      'error',
      'bad-service-type',
      `Service type '${typeText}' is not ClusterIP, NodePort, LoadBalancer or ExternalName`,
      field(spec, 'type'),
    );
    return null;
  }
  const type = typeText as Service['type'];
  const ports: ServicePort[] = [];
  for (const p of items(field(spec, 'ports'))) {
    const protocol = protocolOf(r, field(p, 'protocol'));
    const port = portNumber(r, field(p, 'port'), 'port', true, p);
    const nodePortNode = field(p, 'nodePort');
    const nodePort = nodePortNode === null ? 0 : portNumber(r, nodePortNode, 'nodePort', false);
    const targetNode = field(p, 'targetPort');
    let targetPort: number | string | null = null;
    if (targetNode !== null) {
      const asNumber = num(targetNode);
      targetPort = asNumber ?? str(targetNode);
      if (asNumber !== null) portNumber(r, targetNode, 'targetPort', false);
    }
    if (protocol === null || port === null || nodePort === null) continue;
    ports.push({ name: str(field(p, 'name')) ?? '', protocol, port, nodePort, targetPort, span: spanOf(r, p) });
  }
  const clusterIPs = addresses(r, field(spec, 'clusterIPs'), 'clusterIP');
  const clusterIP = str(field(spec, 'clusterIP'));
  if (clusterIPs.length === 0 && clusterIP !== null) clusterIPs.push(clusterIP);
  const loadBalancerIPs = items(path(doc, 'status', 'loadBalancer', 'ingress'))
    .filter((ing) => str(field(ing, 'ipMode')) !== 'Proxy')
    .map((ing) => str(field(ing, 'ip')))
    .filter((s): s is string => s !== null);
  const affinity = str(field(spec, 'sessionAffinity')) === 'ClientIP';
  const timeout = num(path(spec, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'));
  const selectorNode = field(spec, 'selector');
  const selector: Record<string, string> | null = isMap(selectorNode) ? {} : null;
  if (selector && isMap(selectorNode)) {
    for (const pair of selectorNode.items) {
      if (isScalar(pair.key)) selector[String(pair.key.value)] = str(pair.value as Node) ?? '';
    }
  }
  return {
    namespace,
    name,
    type,
    clusterIPs,
    externalIPs: addresses(r, field(spec, 'externalIPs'), 'externalIP'),
    loadBalancerIPs,
    loadBalancerSourceRanges: addresses(r, field(spec, 'loadBalancerSourceRanges'), 'loadBalancerSourceRange', true),
    externalTrafficPolicy: str(field(spec, 'externalTrafficPolicy')) === 'Local' ? 'Local' : 'Cluster',
    internalTrafficPolicy: str(field(spec, 'internalTrafficPolicy')) === 'Local' ? 'Local' : 'Cluster',
    healthCheckNodePort: num(field(spec, 'healthCheckNodePort')) ?? 0,
    affinityTimeoutSeconds: affinity ? (timeout ?? 10800) : null,
    selector,
    ports,
    span: spanOf(r, doc),
  };
}

function readEndpointPorts(r: Reader, node: Node | null): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const p of items(node)) {
    const protocol = protocolOf(r, field(p, 'protocol'));
    const port = portNumber(r, field(p, 'port'), 'endpoint port', true, p);
    if (protocol !== null && port !== null) ports.push({ name: str(field(p, 'name')) ?? '', port, protocol });
  }
  return ports;
}

function readEndpointSlice(r: Reader, doc: Node, namespace: string): EndpointSlice | null {
  const serviceName = str(path(doc, 'metadata', 'labels', 'kubernetes.io/service-name'));
  if (serviceName === null) {
    report(
      r,
      'warning',
      'slice-without-service',
      'EndpointSlice has no kubernetes.io/service-name label; kube-proxy ignores it',
      field(doc, 'metadata') ?? doc,
    );
    return null;
  }
  const addressType = str(field(doc, 'addressType')) ?? 'IPv4';
  const endpoints: Endpoint[] = [];
  for (const ep of items(field(doc, 'endpoints'))) {
    const addressNode = items(field(ep, 'addresses'))[0] ?? null;
    const address = str(addressNode);
    if (address === null) continue;
    if (!validAddress(address)) {
      report(
        r,
        'warning',
        'bad-address',
        `endpoint address '${address}' is not an IP address; kube-proxy ignores it`,
        addressNode,
      );
      continue;
    }
    const conditions = field(ep, 'conditions');
    // ready and serving count as true unless explicitly false; terminating only if true.
    endpoints.push({
      address,
      ready: bool(field(conditions, 'ready')) !== false,
      serving: bool(field(conditions, 'serving')) !== false,
      terminating: bool(field(conditions, 'terminating')) === true,
      nodeName: str(field(ep, 'nodeName')),
    });
  }
  return {
    namespace,
    serviceName,
    addressType: addressType === 'IPv6' ? 'IPv6' : addressType === 'FQDN' ? 'FQDN' : 'IPv4',
    ports: readEndpointPorts(r, field(doc, 'ports')),
    endpoints,
    span: spanOf(r, doc),
  };
}

/** Legacy v1 Endpoints: one slice per subset, as the EndpointSlice mirroring controller would make. */
function readEndpoints(r: Reader, doc: Node, namespace: string, name: string): EndpointSlice[] {
  return items(field(doc, 'subsets')).map((subset) => {
    const endpoints: Endpoint[] = [];
    for (const [key, ready] of [
      ['addresses', true],
      ['notReadyAddresses', false],
    ] as const) {
      for (const a of items(field(subset, key))) {
        const address = str(field(a, 'ip'));
        if (address !== null)
          endpoints.push({ address, ready, serving: ready, terminating: false, nodeName: str(field(a, 'nodeName')) });
      }
    }
    const addressType: EndpointSlice['addressType'] = endpoints[0]?.address.includes(':') ? 'IPv6' : 'IPv4';
    return {
      namespace,
      serviceName: name,
      addressType,
      ports: readEndpointPorts(r, field(subset, 'ports')),
      endpoints,
      span: spanOf(r, subset),
    };
  });
}

function readNode(doc: Node, name: string): KubeNode {
  const addresses = items(path(doc, 'status', 'addresses'))
    .filter((a) => ['InternalIP', 'ExternalIP'].includes(str(field(a, 'type')) ?? ''))
    .map((a) => str(field(a, 'address')))
    .filter((s): s is string => s !== null);
  const podCIDRs = strings(path(doc, 'spec', 'podCIDRs'));
  const podCIDR = str(path(doc, 'spec', 'podCIDR'));
  if (podCIDRs.length === 0 && podCIDR !== null) podCIDRs.push(podCIDR);
  return { name, addresses, podCIDRs };
}

function stringMap(node: Node | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(node))
    for (const pair of node.items) if (isScalar(pair.key)) out[String(pair.key.value)] = str(pair.value as Node) ?? '';
  return out;
}

function readPod(r: Reader, doc: Node, namespace: string, name: string): Pod {
  const status = field(doc, 'status');
  const podIPs = items(field(status, 'podIPs'))
    .map((p) => str(field(p, 'ip')))
    .filter((s): s is string => s !== null);
  const podIP = str(field(status, 'podIP'));
  if (podIPs.length === 0 && podIP !== null) podIPs.push(podIP);
  const readyCondition = items(field(status, 'conditions')).find((c) => str(field(c, 'type')) === 'Ready');
  const namedPorts: Pod['namedPorts'] = [];
  for (const container of items(path(doc, 'spec', 'containers'))) {
    for (const p of items(field(container, 'ports'))) {
      const portName = str(field(p, 'name'));
      const port = portNumber(r, field(p, 'containerPort'), 'containerPort', true, p);
      const protocol = protocolOf(r, field(p, 'protocol'));
      if (portName !== null && port !== null && protocol !== null) namedPorts.push({ name: portName, port, protocol });
    }
  }
  return {
    namespace,
    name,
    labels: stringMap(path(doc, 'metadata', 'labels')),
    podIPs,
    nodeName: str(path(doc, 'spec', 'nodeName')),
    // A pasted manifest has no status: take it as running and ready.
    ready: readyCondition ? str(field(readyCondition, 'status')) === 'True' : true,
    terminating: path(doc, 'metadata', 'deletionTimestamp') !== null,
    namedPorts,
    span: spanOf(r, doc),
  };
}

const IGNORED_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'ConfigMap',
  'Secret',
  'Namespace',
  'ServiceAccount',
  'Ingress',
]);

function readObject(r: Reader, doc: Node, out: KubeObjects): void {
  if (!isMap(doc)) {
    report(r, 'error', 'not-an-object', 'expected a Kubernetes object (a mapping with apiVersion and kind)', doc);
    return;
  }
  const kindNode = field(doc, 'kind');
  const kind = str(kindNode);
  const namespace = str(path(doc, 'metadata', 'namespace')) ?? 'default';
  const name = str(path(doc, 'metadata', 'name')) ?? '';
  switch (kind) {
    case 'List':
    case 'ServiceList':
    case 'EndpointSliceList':
    case 'EndpointsList':
    case 'NodeList':
      for (const item of items(field(doc, 'items'))) readObject(r, item, out);
      return;
    case 'Service': {
      if (name === '') report(r, 'error', 'missing-name', 'Service has no metadata.name', doc);
      const service = name === '' ? null : readService(r, doc, namespace, name);
      if (service) out.services.push(service);
      return;
    }
    case 'EndpointSlice': {
      const slice = readEndpointSlice(r, doc, namespace);
      if (slice) out.endpointSlices.push(slice);
      return;
    }
    case 'Endpoints':
      out.legacyEndpoints.push(...readEndpoints(r, doc, namespace, name));
      return;
    case 'Node':
      out.nodes.push(readNode(doc, name));
      return;
    case 'Pod':
      out.pods.push(readPod(r, doc, namespace, name));
      return;
    case null:
      report(
        r,
        'error',
        'missing-kind',
        'object has no kind; expected Service, EndpointSlice, Endpoints, Node or List',
        doc,
      );
      return;
    default:
      if (IGNORED_KINDS.has(kind))
        report(r, 'info', 'ignored-kind', `${kind} is not read by kube-proxy; ignored`, kindNode);
      else
        report(
          r,
          'warning',
          'unknown-kind',
          `kind '${kind}' is not one kube-proxy reads (Service, EndpointSlice, Endpoints, Node, List); ignored`,
          kindNode,
        );
  }
}

export function readKubeObjects(text: string): { objects: KubeObjects; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  const r: Reader = { lines, diagnostics: [] };
  const objects: KubeObjects = { services: [], endpointSlices: [], legacyEndpoints: [], nodes: [], pods: [] };
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
      const message = error.message.split('\n')[0];
      r.diagnostics.push({
        severity: 'error',
        code: 'yaml-syntax',
        message,
        span: { line: pos.line, column: pos.col, length: Math.max(1, error.pos[1] - error.pos[0]) },
      });
    }
    // An empty document (a trailing `---`, a comment-only file) holds nothing.
    if (doc.errors.length > 0 || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))
      continue;
    readObject(r, doc.contents as Node, objects);
  }
  return { objects, diagnostics: r.diagnostics };
}
