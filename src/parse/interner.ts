// Interns substrings of a big text without slicing them first: an open-addressing
// hash table keyed by the characters of text[start, end). A 30 MB dump names
// the same few thousand chains hundreds of thousands of times; slicing and
// hashing each occurrence through a Map was a third of the parse time.

export class RangeInterner {
  readonly names: string[] = [];
  /** Per slot: the name's id, or -1 for an empty slot. */
  private slots = new Int32Array(1 << 12).fill(-1);
  /** Per slot: the name's hash, beside its id so that a probe touches one place. */
  private slotHashes = new Int32Array(1 << 12);

  /** The id of text[start, end), adding it if new. */
  intern(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = h & mask;
    const len = end - start;
    for (;;) {
      const id = slots[slot];
      if (id < 0) break;
      if (this.slotHashes[slot] === h) {
        const name = this.names[id];
        if (name.length === len && text.startsWith(name, start)) return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.names.length;
    this.names.push(text.slice(start, end));
    slots[slot] = id;
    this.slotHashes[slot] = h;
    if (this.names.length * 2 > slots.length) this.rehash();
    return id;
  }

  /** The id of a whole string. */
  internString(s: string): number {
    return this.intern(s, 0, s.length);
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size).fill(-1);
    const hashes = new Int32Array(size);
    const mask = size - 1;
    for (let old = 0; old < this.slots.length; old++) {
      const id = this.slots[old];
      if (id < 0) continue;
      const h = this.slotHashes[old];
      let slot = h & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = id;
      hashes[slot] = h;
    }
    this.slots = slots;
    this.slotHashes = hashes;
  }
}
