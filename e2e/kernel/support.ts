// Can the kernel proof run here? It needs root, network namespaces,
// iptables-nft, nft, xtables-monitor, conntrack and python3 (the sender).
// When it cannot, every test says why and is skipped, never faked.

import { execFileSync } from 'node:child_process';

export type Support = { ok: true } | { ok: false; reason: string };

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

let cached: Support | undefined;

export function kernelSupport(): Support {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): Support {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root (network namespaces need CAP_NET_ADMIN)' };
  for (const cmd of [
    'ip',
    'iptables-restore',
    'iptables-save',
    'nft',
    'xtables-monitor',
    'conntrack',
    'python3',
    'stdbuf',
  ]) {
    if (!hasCommand(cmd)) return { ok: false, reason: `\`${cmd}\` not found` };
  }
  try {
    const v = execFileSync('iptables-restore', ['--version'], { encoding: 'utf8', timeout: 5000 });
    if (!v.includes('nf_tables')) return { ok: false, reason: `iptables is not the nft variant: ${v.trim()}` };
  } catch (e) {
    return { ok: false, reason: `iptables-restore --version failed: ${String(e)}` };
  }
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return { ok: false, reason: '`ip netns` does not work here' };
  }
  return { ok: true };
}
