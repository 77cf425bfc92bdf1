// The netfilter spine, placed by hand in kernel order (design.md, "netfilter, as the simulator
// must walk it"): PREROUTING → routing → INPUT / FORWARD, local process → OUTPUT → POSTROUTING.
import type { HookName, TableName } from '../model';
import type { Point, Size } from './types';

/** Tables at each hook in priority order (iptables-nft: raw −300, mangle −150, nat −100/100, filter 0, security 50). */
export const HOOK_TABLES: Record<HookName, readonly TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

export const HOOKS: readonly HookName[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

export const HOOK_WIDTH = 220;
export const HOOK_HEADER = 36;
export const BASE_CHAIN: Size = { width: 196, height: 44 };
export const BASE_GAP = 8;
export const STAGE: Size = { width: 140, height: 56 };

const COLUMN = 300;
const ROW = 320;

/** Top-left corners of each spine element: the forward path on the lower row, the local process above. */
export const SPINE_POSITIONS: Record<HookName | 'routing' | 'local', Point> = {
  PREROUTING: { x: 0, y: ROW },
  routing: { x: COLUMN, y: ROW + 40 },
  INPUT: { x: 2 * COLUMN - 40, y: 0 },
  FORWARD: { x: 2 * COLUMN, y: ROW },
  local: { x: 3 * COLUMN - 40, y: 40 },
  OUTPUT: { x: 4 * COLUMN - 80, y: 0 },
  POSTROUTING: { x: 4 * COLUMN, y: ROW },
};

/** The spine's links, in the order a packet can take them. */
export const SPINE_LINKS: readonly [string, string][] = [
  ['PREROUTING', 'routing'],
  ['routing', 'INPUT'],
  ['routing', 'FORWARD'],
  ['INPUT', 'local'],
  ['local', 'OUTPUT'],
  ['FORWARD', 'POSTROUTING'],
  ['OUTPUT', 'POSTROUTING'],
];

export function hookSize(baseChains: number): Size {
  const inner = Math.max(1, baseChains);
  return { width: HOOK_WIDTH, height: HOOK_HEADER + inner * (BASE_CHAIN.height + BASE_GAP) };
}

/** Where the `index`th base chain of a hook sits. */
export function baseChainPosition(hookAt: Point, index: number): Point {
  return {
    x: hookAt.x + (HOOK_WIDTH - BASE_CHAIN.width) / 2,
    y: hookAt.y + HOOK_HEADER + index * (BASE_CHAIN.height + BASE_GAP),
  };
}
