// Interns substrings of a big text without slicing them first: an open-addressing
// hash table keyed by the characters of text[start, end). A 30 MB dump names
// the same few thousand chains hundreds of thousands of times; slicing and
// hashing each occurrence through a Map was a third of the parse time.

export class RangeInterner {
  readonly names: string[] = [];
  private slots = new Int32Array(1 << 12).fill(-1);
  private hashes: number[] = [];

  /** The id of text[start, end), adding it if new. */
  intern(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const mask = this.slots.length - 1;
    let slot = h & mask;
    const len = end - start;
    for (;;) {
      const id = this.slots[slot];
      if (id < 0) break;
      if (this.hashes[id] === h) {
        const name = this.names[id];
        if (name.length === len && text.startsWith(name, start)) return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.names.length;
    this.names.push(text.slice(start, end));
    this.hashes.push(h);
    this.slots[slot] = id;
    if (this.names.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** The id of a whole string. */
  internString(s: string): number {
    return this.intern(s, 0, s.length);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.names.length; id++) {
      let slot = this.hashes[id] & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.slots = slots;
  }
}
