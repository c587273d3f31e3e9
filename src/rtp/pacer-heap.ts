/**
 * A binary min-heap of deadlines for the RTP pacer: one entry per paced stream, keyed by the instant its
 * next packet is due. The pacer looks at the top (the earliest deadline) to know when to wake, pops every
 * due entry, and pushes it back with its next deadline. Ties go to the entry added first, so streams due
 * at the same instant send in a stable order (and a test can predict it).
 *
 * Each entry remembers its index in the array, so removing a stream (a call hangs up) is O(log n)
 * instead of a linear search over 1000 entries.
 */

export interface HeapEntry {
  /** Deadline on the pacer's clock (ms). */
  due: number;
  /** Insertion order, the tie-breaker. */
  readonly order: number;
  /** Position in the heap array, -1 when not in the heap. Maintained by the heap only. */
  index: number;
}

export class DeadlineHeap<E extends HeapEntry> {
  private readonly items: E[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The entry with the earliest deadline, or undefined when the heap is empty. */
  peek(): E | undefined {
    return this.items[0];
  }

  push(entry: E): void {
    entry.index = this.items.length;
    this.items.push(entry);
    this.up(entry.index);
  }

  /** Removes and returns the earliest entry. */
  pop(): E | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Removes `entry` wherever it is; false when it was not in this heap. */
  remove(entry: E): boolean {
    const i = entry.index;
    if (i < 0 || i >= this.items.length || this.items[i] !== entry) return false;
    this.removeAt(i);
    return true;
  }

  /** Re-positions `entry` after its `due` changed (earlier or later). */
  update(entry: E): void {
    const i = entry.index;
    if (i < 0 || this.items[i] !== entry) throw new Error('DeadlineHeap.update: the entry is not in this heap.');
    if (!this.up(i)) this.down(i);
  }

  private removeAt(i: number): void {
    const items = this.items;
    const gone = items[i]!;
    const last = items.pop()!;
    gone.index = -1;
    if (i < items.length) {
      items[i] = last;
      last.index = i;
      if (!this.up(i)) this.down(i);
    }
  }

  private less(a: E, b: E): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  /** Sifts up; true when the entry moved. */
  private up(i: number): boolean {
    const items = this.items;
    const e = items[i]!;
    const start = i;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.less(e, p)) break;
      items[i] = p;
      p.index = i;
      i = parent;
    }
    items[i] = e;
    e.index = i;
    return i !== start;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.less(child, e)) break;
      items[i] = child;
      child.index = i;
      i = c;
    }
    items[i] = e;
    e.index = i;
  }
}
