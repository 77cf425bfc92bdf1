// kube: Service / EndpointSlice / Endpoints / Node / Pod YAML (or JSON) in → the iptables-save text
// kube-proxy (iptables mode; current, 1.24 or pre-1.24 layout) would leave on the node, the
// diagnostics, and per service port the chains it owns (source-map.ts links them to the YAML).
// Pure: no I/O, no clock; see pkg/proxy/iptables/proxier.go.
import type { Diagnostic } from '../model';
import { cidrContains, formatIp, parseCidr } from '../parse';
import { readKubeObjects } from './input';
import { DEFAULT_IPVS_SCHEDULER, generateIpvsResult, type IpvsGenerateResult } from './ipvs-mode';
import { type EndpointSlice, type Pod, type Service, servicePortName } from './objects';
import { canonicalAddress, endpointsFor, generateRules, type ProxierConfig, type ServicePortResult } from './proxier';
import { type KubeRuleset, toRestoreText, toSaveText } from './rules';
import { layoutForVersion } from './version';

export type { IpvsRules, KubeIpset, RealServer, VirtualServer } from './ipvs';
export { type IpvsGenerateResult, type IpvsOutput, ipvsNodeDump } from './ipvs-mode';
export type { EndpointSlice, Service } from './objects';
export type { ProxierConfig, ProxierLayout, ServicePortResult } from './proxier';
export { type KubeRuleset, toRestoreText, toSaveLine, toSaveText } from './rules';
export {
  type PortSource,
  type ServiceSource,
  type ServiceSourceMap,
  type SourceRange,
  serviceAt,
  serviceOfChain,
  serviceSourceMap,
} from './source-map';
export { LAYOUTS, layoutForVersion } from './version';

export interface KubeProxyOptions extends Partial<ProxierConfig> {
  /** kube-proxy's --proxy-mode: iptables (default) or ipvs (then the result also has `ipvs`). */
  mode?: 'iptables' | 'ipvs';
  /** `--ipvs-scheduler` in ipvs mode; default rr. */
  scheduler?: string;
  /**
   * The kube-proxy release whose layout to follow (`1.24`, `v1.23.5`): 1.25+ → 'current',
   * 1.24 → '1.24', 1.20–1.23 (and older, approximately) → 'legacy'. An explicit `layout` wins.
   */
  kubeProxyVersion?: string;
  /** Invent this many ready endpoints (on this node, from podCIDR) for services that have none. */
  exampleEndpoints?: number;
  /** Where example endpoints get their IPs; default the Node's podCIDR or 10.244.0.0/24. */
  podCIDR?: string;
  /**
   * Fill in what the API server allocates and a pasted manifest lacks: a cluster IP from
   * serviceCIDR, node ports and health check node ports from 30000–32767 (default true).
   */
  allocate?: boolean;
  /** `--service-cluster-ip-range` for allocated cluster IPs; default 10.96.0.0/12. */
  serviceCIDR?: string;
}

export interface GenerateResult {
  /** iptables-save text (mangle, filter, nat). */
  dump: string;
  /**
   * What kube-proxy hands iptables-restore (filter, nat), in its own argument order. In the
   * 1.24 and legacy layouts it also holds kubelet's KUBE-MARK-DROP and KUBE-FIREWALL rules,
   * which kubelet, not kube-proxy, writes on such nodes.
   */
  restore: string;
  ruleset: KubeRuleset;
  /** The ip6tables half, when some Service has an IPv6 cluster IP (dual-stack or IPv6-only). */
  ipv6: { dump: string; restore: string; ruleset: KubeRuleset } | null;
  diagnostics: Diagnostic[];
  /** Every service port of each family, with the chains generated for it. */
  services: ServicePortResult[];
  config: ProxierConfig;
}

/**
 * A kube-proxy on a current node: kubeadm/flannel's pod range as the detector, the simulator's
 * default node IP, nfacct counters and --random-fully available (as on current kernels and
 * iptables ≥ 1.6.2). proxier_test.go's NewFakeProxier differs: node test-node, 10.0.0.0/8, no
 * --random-fully, no canaries. nfacct rules only load where kube-proxy created the counters.
 */
export const DEFAULT_PROXIER_CONFIG: ProxierConfig = {
  clusterCIDR: '10.244.0.0/16',
  nodeIPs: ['192.168.0.2'],
  nodeName: 'node-1',
  masqueradeAll: false,
  masqueradeBit: 14,
  localhostNodePorts: true,
  nodePortAddresses: [],
  conntrackTCPLiberal: false,
  nfacct: true,
  randomFully: true,
  canaries: true,
  jumpRules: true,
};

const serviceKey = (s: { namespace: string; serviceName: string }) => `${s.namespace}/${s.serviceName}`;

/** The slices of each Service, by `namespace/name`. */
function slicesByService(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const map = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const list = map.get(serviceKey(slice));
    if (list) list.push(slice);
    else map.set(serviceKey(slice), [slice]);
  }
  return map;
}

export function generateFromYaml(text: string, options: KubeProxyOptions & { mode: 'ipvs' }): IpvsGenerateResult;
export function generateFromYaml(text: string, options?: KubeProxyOptions): GenerateResult;
export function generateFromYaml(text: string, options: KubeProxyOptions = {}): GenerateResult {
  const { objects, diagnostics } = readKubeObjects(text);
  if (options.allocate !== false) {
    objects.services = allocate(objects.services, options.serviceCIDR ?? '10.96.0.0/12', diagnostics);
  }
  const node = objects.nodes[0];
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as KubeProxyOptions;
  const config: ProxierConfig = {
    ...DEFAULT_PROXIER_CONFIG,
    ...(node?.name ? { nodeName: node.name } : {}),
    ...(node && node.addresses.length > 0 ? { nodeIPs: node.addresses } : {}),
    ...defined,
  };
  if (options.kubeProxyVersion !== undefined && options.layout === undefined) {
    const { layout, version, caveat } = layoutForVersion(options.kubeProxyVersion);
    config.layout = layout;
    const problem = version === null ? `'${options.kubeProxyVersion}' is not a version like 1.24` : caveat;
    if (problem) {
      diagnostics.push({
        severity: version === null ? 'warning' : 'info',
        code: 'kube-proxy-version',
        message: `${problem}; writing the ${layout} layout`,
        span: { line: 1, column: 1, length: 0 },
      });
    }
  }

  // kube-proxy reads EndpointSlices only; legacy Endpoints stand in where a Service has no slice.
  const slices: EndpointSlice[] = [...objects.endpointSlices];
  const withSlices = new Set(objects.endpointSlices.map(serviceKey));
  for (const legacy of objects.legacyEndpoints) if (!withSlices.has(serviceKey(legacy))) slices.push(legacy);

  slices.push(...podSlices(objects.services, objects.pods, slices, diagnostics));
  const podCIDR = options.podCIDR ?? node?.podCIDRs.find((c) => !c.includes(':')) ?? '10.244.0.0/24';
  slices.push(...exampleSlices(objects.services, slices, options.exampleEndpoints ?? 0, podCIDR, config, diagnostics));
  checkEndpointPorts(objects.services, slices, config, diagnostics);

  if (options.mode === 'ipvs') {
    return generateIpvsResult(
      objects.services,
      slices,
      config,
      options.scheduler ?? DEFAULT_IPVS_SCHEDULER,
      diagnostics,
    );
  }
  const { ruleset, servicePorts } = generateRules(objects.services, slices, config, 4);
  const dualStack = objects.services.some((s) => s.clusterIPs.some((ip) => canonicalAddress(ip, 6) !== null));
  const v6 = dualStack ? generateRules(objects.services, slices, config, 6) : null;
  return {
    dump: exampleLabel(diagnostics) + toSaveText(ruleset, 4),
    restore: toRestoreText(ruleset),
    ruleset,
    ipv6: v6 && { dump: toSaveText(v6.ruleset, 6), restore: toRestoreText(v6.ruleset), ruleset: v6.ruleset },
    diagnostics,
    services: [...servicePorts, ...(v6?.servicePorts ?? [])],
    config,
  };
}

/** Comment lines (iptables-restore skips them) saying which endpoints were invented. */
function exampleLabel(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .filter((d) => d.code === 'example-endpoints')
    .map((d) => `# chainwalk: not from the cluster: ${d.message}\n`)
    .join('');
}

/** What the API server would have filled in, announced as info where the Service stands. */
function allocate(services: readonly Service[], serviceCIDR: string, diagnostics: Diagnostic[]): Service[] {
  const cidr = parseCidr(serviceCIDR);
  const usedIPs = new Set(services.flatMap((s) => s.clusterIPs));
  const usedPorts = new Set(services.flatMap((s) => [...s.ports.map((p) => p.nodePort), s.healthCheckNodePort]));
  let nextIP = cidr && cidr.family === 4 ? cidr.addr + 10 : 0;
  let nextPort = 30000;
  const freePort = () => {
    while (usedPorts.has(nextPort)) nextPort++;
    usedPorts.add(nextPort);
    return nextPort;
  };
  const info = (service: Service, code: string, message: string) =>
    diagnostics.push({
      severity: 'info',
      code,
      message: `Service ${service.namespace}/${service.name}: ${message}`,
      span: service.span,
    });
  return services.map((service) => {
    if (service.type === 'ExternalName') return service;
    let clusterIPs = service.clusterIPs;
    if (clusterIPs.length === 0 && cidr && cidr.family === 4) {
      let ip = formatIp({ family: 4, value: nextIP >>> 0 });
      while (usedIPs.has(ip)) ip = formatIp({ family: 4, value: ++nextIP >>> 0 });
      nextIP++;
      usedIPs.add(ip);
      clusterIPs = [ip];
      info(
        service,
        'allocated-cluster-ip',
        `no clusterIP; using ${ip} from ${serviceCIDR}, as the API server would allocate one`,
      );
    }
    const external = service.type === 'NodePort' || service.type === 'LoadBalancer';
    const ports = service.ports.map((port) => {
      if (!external || port.nodePort !== 0) return port;
      const nodePort = freePort();
      info(service, 'allocated-node-port', `port ${port.port} has no nodePort; using ${nodePort}`);
      return { ...port, nodePort };
    });
    let healthCheckNodePort = service.healthCheckNodePort;
    if (service.type === 'LoadBalancer' && service.externalTrafficPolicy === 'Local' && healthCheckNodePort === 0) {
      healthCheckNodePort = freePort();
      info(service, 'allocated-health-check-node-port', `no healthCheckNodePort; using ${healthCheckNodePort}`);
    }
    return { ...service, clusterIPs, ports, healthCheckNodePort };
  });
}

/**
 * Pods whose labels match a Service's selector become its endpoints, as the EndpointSlice
 * controller would make them (for Services that came without slices or Endpoints).
 */
function podSlices(
  services: readonly Service[],
  pods: readonly Pod[],
  slices: readonly EndpointSlice[],
  diagnostics: Diagnostic[],
): EndpointSlice[] {
  const out: EndpointSlice[] = [];
  if (pods.length === 0) return out;
  const existing = slicesByService(slices);
  for (const service of services) {
    const selector = service.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    if (existing.has(`${service.namespace}/${service.name}`)) continue;
    const matching = pods.filter(
      (pod) => pod.namespace === service.namespace && Object.entries(selector).every(([k, v]) => pod.labels[k] === v),
    );
    for (const pod of matching) {
      const ports = [];
      for (const port of service.ports) {
        let number = typeof port.targetPort === 'number' ? port.targetPort : port.port;
        if (typeof port.targetPort === 'string') {
          const named = pod.namedPorts.find((p) => p.name === port.targetPort && p.protocol === port.protocol);
          if (!named) {
            diagnostics.push({
              severity: 'warning',
              code: 'named-target-port',
              message: `targetPort '${port.targetPort}' of ${servicePortName(service, port.name)} matches no ${port.protocol} container port of Pod ${pod.namespace}/${pod.name}; that Pod is not an endpoint of this port`,
              span: port.span,
            });
            continue;
          }
          number = named.port;
        }
        ports.push({ name: port.name, protocol: port.protocol, port: number });
      }
      for (const ip of pod.podIPs) {
        out.push({
          namespace: service.namespace,
          serviceName: service.name,
          addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
          ports,
          endpoints: [
            {
              address: ip,
              ready: pod.ready && !pod.terminating,
              serving: pod.ready,
              terminating: pod.terminating,
              nodeName: pod.nodeName,
            },
          ],
          span: pod.span,
        });
      }
    }
    if (matching.length > 0) {
      diagnostics.push({
        severity: 'info',
        code: 'pod-endpoints',
        message: `Service ${service.namespace}/${service.name}: endpoints from ${matching.length} Pod(s) matching its selector (${matching.map((p) => p.name).join(', ')})`,
        span: service.span,
      });
    }
  }
  return out;
}

/** Services that nothing points at get N ready endpoints on this node, addresses counted up from the pod CIDR. */
function exampleSlices(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  count: number,
  podCIDR: string,
  config: ProxierConfig,
  diagnostics: Diagnostic[],
): EndpointSlice[] {
  const out: EndpointSlice[] = [];
  const existing = slicesByService(slices);
  const cidr = parseCidr(podCIDR);
  let next = cidr && cidr.family === 4 ? cidr.addr + 10 : 0;
  for (const service of services) {
    if (service.type === 'ExternalName' || service.clusterIPs.length === 0 || service.clusterIPs[0] === 'None')
      continue;
    if (existing.has(`${service.namespace}/${service.name}`)) continue;
    if (count <= 0 || !cidr || cidr.family !== 4) {
      // Without a selector nothing would ever make endpoints for it: likely a mistake in a manifest.
      diagnostics.push({
        severity: service.selector ? 'info' : 'warning',
        code: service.selector ? 'no-endpoints' : 'missing-selector',
        message: service.selector
          ? `Service ${service.namespace}/${service.name} has no EndpointSlice or Endpoints: kube-proxy rejects its traffic. Paste its EndpointSlices, or use example endpoints (--example-endpoints N)`
          : `Service ${service.namespace}/${service.name} has no selector and no EndpointSlice or Endpoints, so nothing gives it endpoints and kube-proxy rejects its traffic. Add spec.selector (and Pods), paste its EndpointSlices, or use example endpoints (--example-endpoints N)`,
        span: service.span,
      });
      continue;
    }
    const endpoints = [];
    for (let i = 0; i < count; i++) {
      const ip = formatIp({ family: 4, value: next >>> 0 });
      next++;
      const parsed = parseCidr(`${ip}/32`);
      if (parsed && !cidrContains(cidr, { family: 4, value: parsed.addr as number })) break;
      endpoints.push({ address: ip, ready: true, serving: true, terminating: false, nodeName: config.nodeName });
    }
    const ports = service.ports.map((p) => {
      if (typeof p.targetPort === 'string') {
        diagnostics.push({
          severity: 'warning',
          code: 'named-target-port',
          message: `targetPort '${p.targetPort}' of ${servicePortName(service, p.name)} names a container port, and no Pod says which number it is; the example endpoints use port ${p.port}`,
          span: p.span,
        });
      }
      return { name: p.name, protocol: p.protocol, port: typeof p.targetPort === 'number' ? p.targetPort : p.port };
    });
    diagnostics.push({
      severity: 'info',
      code: 'example-endpoints',
      message: `Service ${service.namespace}/${service.name} has no endpoints; using ${endpoints.length} example endpoint(s) ${endpoints.map((e) => e.address).join(', ')} on node ${config.nodeName}`,
      span: service.span,
    });
    out.push({
      namespace: service.namespace,
      serviceName: service.name,
      addressType: 'IPv4',
      ports,
      endpoints,
      span: service.span,
    });
  }
  return out;
}

/** A service port whose endpoint objects have no port of its name gets no endpoints at all. */
function checkEndpointPorts(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  config: ProxierConfig,
  diagnostics: Diagnostic[],
): void {
  const existing = slicesByService(slices);
  for (const service of services) {
    const own = existing.get(`${service.namespace}/${service.name}`);
    if (!own) continue;
    for (const port of service.ports) {
      const found = [4, 6] as const;
      if (found.some((family) => endpointsFor(service, port, own, config.nodeName, family).length > 0)) continue;
      const names = [...new Set(own.flatMap((s) => s.ports.map((p) => `'${p.name}'/${p.protocol}`)))].join(', ');
      const target = typeof port.targetPort === 'string' ? ` (targetPort '${port.targetPort}')` : '';
      diagnostics.push({
        severity: 'warning',
        code: 'no-matching-endpoint-port',
        message: `no endpoint port matches ${servicePortName(service, port.name)}/${port.protocol}${target}; its endpoints have ports ${names || 'none'}, so kube-proxy rejects this port's traffic`,
        span: port.span,
      });
    }
  }
}
