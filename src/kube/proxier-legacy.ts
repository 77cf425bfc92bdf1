// One service port as kube-proxy 1.23 and before wrote it: the layout the tutorials show, with
// KUBE-XLB for externalTrafficPolicy Local, a KUBE-FW chain for every load balancer IP, and drops
// through kubelet's KUBE-MARK-DROP. A port of syncProxyRules in release-1.23
// pkg/proxy/iptables/proxier.go (the per-service loop and writeServiceToEndpointRules).
import { cidrContains, parseCidr, parseIp } from '../parse';
import { endpointChain, servicePortChain } from './hash';
import type { Service, ServicePort } from './objects';
import {
  type Addresses,
  type EndpointInfo,
  type ProxierConfig,
  portArgs,
  type ServicePortResult,
  type Writer,
  writeServiceToEndpointRules,
} from './proxier';

export function writeLegacyServicePort(
  service: Service,
  port: ServicePort,
  ips: Addresses,
  endpoints: EndpointInfo[],
  config: ProxierConfig,
  w: Writer,
): ServicePortResult {
  const { S, protocol, proto, comment, dport } = portArgs(service, port);
  const svcChain = servicePortChain('KUBE-SVC-', S, protocol);
  const xlbChain = servicePortChain('KUBE-XLB-', S, protocol);
  const fwChain = servicePortChain('KUBE-FW-', S, protocol);
  const chains: string[] = [];
  const declare = (chain: string) => {
    if (chains.includes(chain)) return;
    w.declare('nat', chain);
    chains.push(chain);
  };
  const result = (): ServicePortResult => ({
    servicePortName: S,
    family: w.family,
    protocol: port.protocol,
    service,
    port,
    chains,
    endpoints,
  });

  // NodeLocalExternal (apiservice.RequestsOnlyLocalTraffic): NodePort and LoadBalancer only.
  const nodeLocalExternal =
    service.externalTrafficPolicy === 'Local' && (service.type === 'NodePort' || service.type === 'LoadBalancer');
  // pkg/proxy/topology.go FilterEndpoints: with internalTrafficPolicy Local (and not eTP=Local) only
  // this node's endpoints exist for the Service at all, external traffic included.
  const filtered =
    !nodeLocalExternal && service.internalTrafficPolicy === 'Local' ? endpoints.filter((e) => e.isLocal) : endpoints;
  // ProxyTerminatingEndpoints was alpha (off): only ready endpoints count.
  const ready = filtered.filter((e) => e.ready);
  const local = nodeLocalExternal ? ready.filter((e) => e.isLocal) : [];
  const hasEndpoints = ready.length > 0;
  const sep = (ep: EndpointInfo) => endpointChain(S, protocol, ep.endpoint);

  for (const ep of ready) declare(sep(ep));
  if (hasEndpoints) declare(svcChain);
  // The XLB chain is declared even when nothing will jump to it.
  if (nodeLocalExternal) declare(xlbChain);

  // The endpoint chains come first in the restore buffer.
  for (const ep of ready) {
    w.add('nat', sep(ep), ...w.endpointComment(S), '-s', ep.ip, '-j', 'KUBE-MARK-MASQ');
    const recent = service.affinityTimeoutSeconds !== null ? ['-m', 'recent', '--name', sep(ep), '--set'] : [];
    w.add('nat', sep(ep), ...w.endpointComment(S), ...recent, ...proto, '-j', 'DNAT', '--to-destination', ep.endpoint);
  }
  const reject = (chain: string, ...match: string[]) =>
    w.add('filter', chain, ...comment(`${S} has no endpoints`), ...match, '-j', 'REJECT');

  // The cluster IP; masquerading for off-cluster sources sits in KUBE-SVC.
  const clusterArgs = [...comment(`${S} cluster IP`), ...dport(ips.clusterIP, port.port)];
  if (hasEndpoints) {
    if (config.masqueradeAll) w.add('nat', svcChain, ...clusterArgs, '-j', 'KUBE-MARK-MASQ');
    else if (w.detector) w.add('nat', svcChain, ...clusterArgs, '!', ...w.detector, '-j', 'KUBE-MARK-MASQ');
    w.add('nat', 'KUBE-SERVICES', ...clusterArgs, '-j', svcChain);
  } else {
    reject('KUBE-SERVICES', ...dport(ips.clusterIP, port.port));
  }

  // External IPs: under Cluster policy, masquerade what the detector does not call local.
  for (const externalIP of ips.externalIPs) {
    if (!hasEndpoints) {
      reject('KUBE-EXTERNAL-SERVICES', ...dport(externalIP, port.port));
      continue;
    }
    const args = [...comment(`${S} external IP`), ...dport(externalIP, port.port)];
    if (!nodeLocalExternal) {
      if (w.detector) w.add('nat', svcChain, ...args, '!', ...w.detector, '-j', 'KUBE-MARK-MASQ');
      else w.add('nat', svcChain, ...args, '-j', 'KUBE-MARK-MASQ');
    }
    w.add('nat', 'KUBE-SERVICES', ...args, '-j', nodeLocalExternal ? xlbChain : svcChain);
  }

  // Load balancer IPs: each goes through KUBE-FW, which ends in KUBE-MARK-DROP; the rules are
  // written once per ingress IP, into the same chain.
  const chosen = nodeLocalExternal ? xlbChain : svcChain;
  const nodeIP = w.nodeIP ? parseIp(w.nodeIP) : null;
  for (const lbIP of ips.lbIPs) {
    if (!hasEndpoints) {
      reject('KUBE-EXTERNAL-SERVICES', ...dport(lbIP, port.port));
      continue;
    }
    declare(fwChain);
    w.add('nat', 'KUBE-SERVICES', ...comment(`${S} loadbalancer IP`), ...dport(lbIP, port.port), '-j', fwChain);
    const fw = comment(`${S} loadbalancer IP`);
    if (!nodeLocalExternal) w.add('nat', fwChain, ...fw, '-j', 'KUBE-MARK-MASQ');
    if (ips.sourceRanges.length === 0) {
      w.add('nat', fwChain, ...fw, '-j', chosen);
    } else {
      let allowFromNode = false;
      for (const range of ips.sourceRanges) {
        w.add('nat', fwChain, ...fw, '-s', range, '-j', chosen);
        const cidr = parseCidr(range);
        if (cidr && nodeIP && cidrContains(cidr, nodeIP)) allowFromNode = true;
      }
      if (allowFromNode) w.add('nat', fwChain, ...fw, '-s', lbIP, '-j', chosen);
    }
    w.add('nat', fwChain, ...fw, '-j', 'KUBE-MARK-DROP');
  }

  // The node port: Cluster policy masquerades in KUBE-SVC; Local only masquerades localhost
  // ("Fix localhost martian source error") and goes to KUBE-XLB.
  if (port.nodePort !== 0) {
    if (!hasEndpoints) {
      reject('KUBE-EXTERNAL-SERVICES', '-m', 'addrtype', '--dst-type', 'LOCAL', ...dport(null, port.nodePort));
    } else {
      const args = [...comment(S), ...dport(null, port.nodePort)];
      if (!nodeLocalExternal) {
        w.add('nat', svcChain, ...args, '-j', 'KUBE-MARK-MASQ');
        w.add('nat', 'KUBE-NODEPORTS', ...args, '-j', svcChain);
      } else {
        const loopback = w.family === 6 ? '::1/128' : '127.0.0.0/8';
        w.add('nat', 'KUBE-NODEPORTS', ...args, '-s', loopback, '-j', 'KUBE-MARK-MASQ');
        w.add('nat', 'KUBE-NODEPORTS', ...args, '-j', xlbChain);
      }
    }
  }

  if (service.healthCheckNodePort !== 0 && nodeLocalExternal && service.type === 'LoadBalancer') {
    w.add(
      'filter',
      'KUBE-NODEPORTS',
      ...comment(`${S} health check node port`),
      ...dport(null, service.healthCheckNodePort),
      '-j',
      'ACCEPT',
    );
  }

  if (!hasEndpoints) return result();
  // release-1.23 writeServiceToEndpointRules: the comment is the service port name alone.
  writeServiceToEndpointRules(w, S, protocol, service, svcChain, ready, () => S);
  if (!nodeLocalExternal) return result();

  if (w.detector) {
    w.add(
      'nat',
      xlbChain,
      ...comment('Redirect pods trying to reach external loadbalancer VIP to clusterIP'),
      ...w.detector,
      '-j',
      svcChain,
    );
  }
  w.add(
    'nat',
    xlbChain,
    ...comment(`masquerade LOCAL traffic for ${S} LB IP`),
    '-m',
    'addrtype',
    '--src-type',
    'LOCAL',
    '-j',
    'KUBE-MARK-MASQ',
  );
  w.add(
    'nat',
    xlbChain,
    ...comment(`route LOCAL traffic for ${S} LB IP to service chain`),
    '-m',
    'addrtype',
    '--src-type',
    'LOCAL',
    '-j',
    svcChain,
  );
  if (local.length === 0) {
    // "Blackhole all traffic since there are no local endpoints"
    w.add('nat', xlbChain, ...comment(`${S} has no local endpoints`), '-j', 'KUBE-MARK-DROP');
  } else {
    writeServiceToEndpointRules(w, S, protocol, service, xlbChain, local, () => S);
  }
  return result();
}
