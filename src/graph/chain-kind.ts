// What a chain is, read from its name and its rules' comments, as kube-proxy writes them
// (pkg/proxy/iptables/proxier.go: servicePortChainName, serviceFirewallChainName, …).
import type { ChainKind, FamilyKind, GroupKind } from './types';

const FAMILY_PREFIXES: readonly [string, FamilyKind][] = [
  ['KUBE-SVC-', 'SVC'],
  ['KUBE-SEP-', 'SEP'],
  ['KUBE-EXT-', 'EXT'],
  ['KUBE-FW-', 'FW'],
  ['KUBE-SVL-', 'SVL'],
  ['KUBE-XLB-', 'XLB'],
];

/** The kind of a chain from its name; built-in chains are `base`. */
export function chainKind(name: string, builtin: boolean): ChainKind {
  if (builtin) return 'base';
  for (const [prefix, kind] of FAMILY_PREFIXES) if (name.startsWith(prefix)) return kind;
  if (name === 'KUBE-NODEPORTS') return 'NODEPORTS';
  if (name === 'KUBE-SERVICES') return 'SERVICES';
  return 'other';
}

/** How chains fold into group nodes: each kube-proxy family, and everything else per table. */
export const GROUP_KINDS: readonly GroupKind[] = [...FAMILY_PREFIXES.map(([, kind]) => kind), 'other'];

export function groupKind(kind: ChainKind): GroupKind | null {
  if (kind === 'base') return null;
  return isFamilyKind(kind) ? kind : 'other';
}

export function groupLabel(kind: GroupKind): string {
  return kind === 'other' ? 'other chains' : `KUBE-${kind}`;
}

export function isFamilyKind(kind: ChainKind): kind is FamilyKind {
  return FAMILY_PREFIXES.some(([, k]) => k === kind);
}

// `default/kubernetes:https cluster IP`, `masquerade traffic for games/quake external destinations`.
const SERVICE_PORT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[-a-z0-9]+)?$/;
const HAS_LETTER = /[a-z]/;

/** kube-proxy's service port name (`ns/name:port`) anywhere in a rule comment, if there is one. */
export function servicePortName(comment: string | undefined): string | undefined {
  if (!comment) return undefined;
  for (const word of comment.split(' ')) {
    // A CIDR (10.0.0.0/8) has a slash too; a namespace has a letter.
    const slash = word.indexOf('/');
    if (slash > 0 && HAS_LETTER.test(word.slice(0, slash)) && SERVICE_PORT_NAME.test(word)) return word;
  }
  return undefined;
}

/** Chains that only set a mark and return: shown as badges on the rules that jump there. */
export function isUtilityChainName(name: string): boolean {
  return name.startsWith('KUBE-MARK-');
}
