// The Kubernetes objects kube-proxy reads, reduced to the fields it uses. input.ts builds these
// from YAML; proxier.ts turns them into rules.
import type { SourceSpan } from '../model';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  /** The port's name; '' when unnamed (then the service port name has no colon). */
  name: string;
  protocol: Protocol;
  port: number;
  /** 0 when the port has no node port. */
  nodePort: number;
  targetPort: number | string | null;
  span: SourceSpan;
}

export interface Service {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** Empty or ['None'] for headless services. */
  clusterIPs: string[];
  externalIPs: string[];
  /** status.loadBalancer.ingress[].ip, without `ipMode: Proxy` entries. */
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  healthCheckNodePort: number;
  /** ClientIP affinity timeout in seconds, or null without affinity. */
  affinityTimeoutSeconds: number | null;
  selector: Record<string, string> | null;
  ports: ServicePort[];
  span: SourceSpan;
}

export interface Endpoint {
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string | null;
}

export interface EndpointPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface EndpointSlice {
  namespace: string;
  /** The `kubernetes.io/service-name` label. */
  serviceName: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  ports: EndpointPort[];
  endpoints: Endpoint[];
  span: SourceSpan;
}

/** A Pod, as the EndpointSlice controller would see it: labels, IPs, readiness, named ports. */
export interface Pod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  podIPs: string[];
  nodeName: string | null;
  ready: boolean;
  terminating: boolean;
  /** Container ports by name, for named targetPorts. */
  namedPorts: { name: string; port: number; protocol: Protocol }[];
  span: SourceSpan;
}

export interface Node {
  name: string;
  addresses: string[];
  podCIDRs: string[];
}

/** `ns/name:port`, or `ns/name` for an unnamed port (pkg/proxy/types.go ServicePortName.String). */
export function servicePortName(service: { namespace: string; name: string }, portName: string): string {
  return portName === '' ? `${service.namespace}/${service.name}` : `${service.namespace}/${service.name}:${portName}`;
}
