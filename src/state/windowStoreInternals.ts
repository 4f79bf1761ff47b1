// Internals of the window store: the mutable slot behind each window and a min-heap on window end.

/** Slot flag: the window is in the store. */
export const LIVE = 1;
/** Slot flag: the slot is queued in the store's change list. */
export const DIRTY = 2;

/** The store's record of one window. One object per window keeps an entry near 200 bytes. */
export class WindowSlot<K, A> {
  key: K;
  start: number;
  end: number;
  aggregate: A;
  flags: number;

  constructor(key: K, start: number, end: number, aggregate: A) {
    this.key = key;
    this.start = start;
    this.end = end;
    this.aggregate = aggregate;
    this.flags = LIVE;
  }
}

/**
 * Min-heap of slots ordered by window end, with lazy removal: a slot whose end changed is pushed
 * again, and a popped item counts only if the slot is still live with that same end. This finds
 * the windows to close in O(log n) each instead of scanning every key.
 */
export class EndHeap<K, A> {
  private slots: WindowSlot<K, A>[] = [];
  // Parallel array of plain doubles: no object per heap item.
  private ends: number[] = [];

  get length(): number {
    return this.slots.length;
  }

  push(slot: WindowSlot<K, A>): void {
    this.slots.push(slot);
    this.ends.push(slot.end);
    this.siftUp(this.slots.length - 1);
  }

  /** Smallest end of a live slot, dropping stale items on the way; Infinity when empty. */
  peekEnd(): number {
    while (this.slots.length > 0 && !this.isCurrent(0)) this.popTop();
    return this.slots.length > 0 ? this.ends[0] : Infinity;
  }

  /** Removes and returns the live slot with the smallest end if that end ≤ maxEnd. */
  popIfEndedBy(maxEnd: number): WindowSlot<K, A> | undefined {
    if (this.peekEnd() > maxEnd) return undefined;
    return this.popTop();
  }

  /** Rebuilds the heap from the live slots, dropping stale items. */
  rebuild(live: Iterable<WindowSlot<K, A>>): void {
    this.slots = [];
    this.ends = [];
    for (const slot of live) {
      this.slots.push(slot);
      this.ends.push(slot.end);
    }
    for (let i = (this.slots.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private isCurrent(index: number): boolean {
    const slot = this.slots[index];
    return (slot.flags & LIVE) !== 0 && slot.end === this.ends[index];
  }

  private popTop(): WindowSlot<K, A> {
    const top = this.slots[0];
    const lastSlot = this.slots.pop() as WindowSlot<K, A>;
    const lastEnd = this.ends.pop() as number;
    if (this.slots.length > 0) {
      this.slots[0] = lastSlot;
      this.ends[0] = lastEnd;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const slot = this.slots[index];
    const end = this.ends[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.ends[parent] <= end) break;
      this.slots[index] = this.slots[parent];
      this.ends[index] = this.ends[parent];
      index = parent;
    }
    this.slots[index] = slot;
    this.ends[index] = end;
  }

  private siftDown(index: number): void {
    const length = this.slots.length;
    const slot = this.slots[index];
    const end = this.ends[index];
    while (true) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && this.ends[child + 1] < this.ends[child]) child++;
      if (this.ends[child] >= end) break;
      this.slots[index] = this.slots[child];
      this.ends[index] = this.ends[child];
      index = child;
    }
    this.slots[index] = slot;
    this.ends[index] = end;
  }
}

/** Deterministic order of windows closing together: by end, then key, then start. */
export function compareSlots<K extends string, A>(a: WindowSlot<K, A>, b: WindowSlot<K, A>): number {
  if (a.end !== b.end) return a.end - b.end;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.start - b.start;
}
