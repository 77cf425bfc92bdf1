// Regenerate fixtures/kernel/*.rules: restore each source into a scratch
// network namespace and keep what iptables-save prints.
//   sudo npx tsx e2e/kernel/fixtures-gen/build.ts [name…]

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec';
import { fixtureSources, ipv6Fixtures } from './dumps';

const out = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'kernel');

export async function canonicalSave(restoreText: string, family: 4 | 6 = 4): Promise<string> {
  const [restore, save] =
    family === 6 ? ['ip6tables-restore', 'ip6tables-save'] : ['iptables-restore', 'iptables-save'];
  const ns = `cw-kfix${randomBytes(3).toString('hex')}`;
  await run(['ip', 'netns', 'add', ns]);
  try {
    await run(['ip', 'netns', 'exec', ns, restore], { input: restoreText });
    const { stdout } = await run(['ip', 'netns', 'exec', ns, save]);
    return stdout;
  } finally {
    await run(['ip', 'netns', 'del', ns], { allowFailure: true });
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  for (const [name, source] of Object.entries(fixtureSources)) {
    if (names.length && !names.includes(name)) continue;
    const saved = await canonicalSave(source(), ipv6Fixtures.has(name) ? 6 : 4);
    writeFileSync(join(out, `${name}.rules`), saved);
    console.log(`${name}.rules: ${saved.split('\n').length - 1} lines`);
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
