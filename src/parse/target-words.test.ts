import { describe, expect, it } from 'vitest';
import { markTargetOf, readTarget, targetValue } from '.';

describe("a rule's target as written", () => {
  it.each([
    ['-A X -j ACCEPT', { name: 'ACCEPT', goto: false, options: [] }],
    ['-A X -g KUBE-SVC-1', { name: 'KUBE-SVC-1', goto: true, options: [] }],
    [
      '[5:300] -A X -p tcp -m tcp --dport 80 -j MASQUERADE --to-ports 1024-2000 --random-fully',
      {
        name: 'MASQUERADE',
        goto: false,
        options: [
          { name: '--to-ports', values: ['1024-2000'], invert: false },
          { name: '--random-fully', values: [], invert: false },
        ],
      },
    ],
    [
      '-A X -j SET --add-set KUBE-X src,dst --exist',
      {
        name: 'SET',
        goto: false,
        options: [
          { name: '--add-set', values: ['KUBE-X', 'src,dst'], invert: false },
          { name: '--exist', values: [], invert: false },
        ],
      },
    ],
  ])('reads %s', (text, words) => {
    expect(readTarget(text)).toEqual(words);
  });

  it('unquotes values as iptables-restore does', () => {
    const words = readTarget('-A X -j LOG --log-prefix "it\\\'s \\"x\\": " --log-level 6');
    expect(targetValue(words ?? { name: '', goto: false, options: [] }, '--log-prefix')).toBe('it\'s "x": ');
    expect(words?.options.map((o) => o.name)).toEqual(['--log-prefix', '--log-level']);
  });

  it('takes a bare save-string value that looks like an option as the value', () => {
    // xtables_save_string prints `-j` and `--x` bare: they are a comment and a log prefix here.
    expect(readTarget('-A X -m comment --comment -j -j LOG --log-prefix --x --log-uid')).toEqual({
      name: 'LOG',
      goto: false,
      options: [
        { name: '--log-prefix', values: ['--x'], invert: false },
        { name: '--log-uid', values: [], invert: false },
      ],
    });
    expect(readTarget('-A X -m comment --comment "-j DROP" -j ACCEPT')?.name).toBe('ACCEPT');
  });

  it("takes any module's value that looks like an option as the value, but not after a flag", () => {
    expect(readTarget('-A X -m recent --rcheck --name -j --rsource -j DROP')?.name).toBe('DROP');
    expect(readTarget('-A X -m set --match-set -g src ! -s 10.0.0.1/32 -j DROP')?.name).toBe('DROP');
    // recent's --set is a flag: the -j after it is the target.
    expect(readTarget('-A X -m recent --set -j ACCEPT')?.name).toBe('ACCEPT');
  });

  it('stops at a match written after the target, and has no target when none is written', () => {
    expect(readTarget('-A X -j NFLOG --nflog-group 100 -m limit --limit 1/sec')?.options).toEqual([
      { name: '--nflog-group', values: ['100'], invert: false },
    ]);
    expect(readTarget('-A X -p tcp -m tcp --dport 22')).toBeNull();
  });

  it('decodes a MARK or CONNMARK the way the simulator applies it', () => {
    const decode = (text: string) => {
      const words = readTarget(text);
      return words && markTargetOf(words);
    };
    expect(decode('-A X -j MARK --set-xmark 0x4000/0x4000')).toEqual({ kind: 'mark', value: 0x4000, mask: 0x4000 });
    expect(decode('-A X -j MARK --set-mark 0x1/0xf')).toEqual({ kind: 'mark', value: 1, mask: 0xf });
    expect(decode('-A X -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff')).toEqual({
      kind: 'connmark',
      op: 'restore',
      nfmask: 0xff,
      ctmask: 0xff,
    });
    expect(decode('-A X -j MARK --set-xmark nope')).toBeNull();
    expect(decode('-A X -j ACCEPT')).toBeNull();
  });
});
