// Internals of the window store: its windows as columns indexed by slot number (no object per window), and a
// min-heap of slots on window end.

/** Slot flag: the window is in the store. */
export const LIVE = 1;
/** Slot flag: the slot is queued in the store's change list. */
export const DIRTY = 2;
/** No slot: the end of a chain, an empty free list, a slot outside the heap. */
export const NONE = -1;

const INITIAL_CAPACITY = 16;

/**
 * The store's windows as parallel columns: slot `i` is the window `[starts[i], ends[i])` of `keys[i]`. Per slot
 * that is a key reference, two doubles, a flag byte and three int32s (next slot of the same key, heap position,
 * heap item), about 37 bytes, where an object per window with boxed start and end cost about 100. Free slots are
 * chained through `next` and reused. Columns grow by half when full and are replaced then: read them through
 * the fields after every `allocate`.
 *
 * The heap orders live slots by end. It is indexed (`heapPos`), so a slot whose end changes moves in place and
 * a removed slot leaves at once: no stale items, and a reused slot number cannot be confused with its past.
 */
export class SlotColumns<K> {
  keys: (K | undefined)[] = [];
  starts = new Float64Array(INITIAL_CAPACITY);
  ends = new Float64Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  /** Next slot of the same key (ordered by start), or the next free slot; NONE at the end. */
  next = new Int32Array(INITIAL_CAPACITY);
  private heapPos = new Int32Array(INITIAL_CAPACITY);
  private heap = new Int32Array(INITIAL_CAPACITY);
  private heapLength = 0;
  private capacity = INITIAL_CAPACITY;
  /** Slot numbers handed out so far (free or not). */
  private used = 0;
  private freeHead = NONE;
  private readonly onGrow: (capacity: number) => void;

  /** `onGrow(capacity)` lets the owner grow its own per-slot columns (aggregates) along. */
  constructor(onGrow: (capacity: number) => void) {
    this.onGrow = onGrow;
  }

  /** A slot number for a new window: a free one, else the next unused one (growing the columns). */
  allocate(): number {
    const free = this.freeHead;
    if (free !== NONE) {
      this.freeHead = this.next[free];
      return free;
    }
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  /** Makes a slot free for reuse; it must not be live, queued as a change, or in the heap. */
  release(slot: number): void {
    this.keys[slot] = undefined;
    this.flags[slot] = 0;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
  }

  get heapSize(): number {
    return this.heapLength;
  }

  /** The slot with the smallest end, NONE when the heap is empty. */
  heapTop(): number {
    return this.heapLength > 0 ? this.heap[0] : NONE;
  }

  heapInsert(slot: number): void {
    const at = this.heapLength++;
    this.heap[at] = slot;
    this.heapPos[slot] = at;
    this.siftUp(at);
  }

  heapRemove(slot: number): void {
    const at = this.heapPos[slot];
    this.heapPos[slot] = NONE;
    const last = this.heap[--this.heapLength];
    if (at === this.heapLength) return;
    this.heap[at] = last;
    this.heapPos[last] = at;
    this.siftDown(at);
    this.siftUp(this.heapPos[last]);
  }

  /** Restores the heap order after `ends[slot]` changed. */
  heapUpdate(slot: number): void {
    this.siftDown(this.heapPos[slot]);
    this.siftUp(this.heapPos[slot]);
  }

  private siftUp(index: number): void {
    const { heap, heapPos, ends } = this;
    const slot = heap[index];
    const end = ends[slot];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent];
      if (ends[above] <= end) break;
      heap[index] = above;
      heapPos[above] = index;
      index = parent;
    }
    heap[index] = slot;
    heapPos[slot] = index;
  }

  private siftDown(index: number): void {
    const { heap, heapPos, ends } = this;
    const length = this.heapLength;
    const slot = heap[index];
    const end = ends[slot];
    while (true) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && ends[heap[child + 1]] < ends[heap[child]]) child++;
      const below = heap[child];
      if (ends[below] >= end) break;
      heap[index] = below;
      heapPos[below] = index;
      index = child;
    }
    heap[index] = slot;
    heapPos[slot] = index;
  }

  private grow(): void {
    const capacity = this.capacity + (this.capacity >> 1);
    this.starts = grown(this.starts, new Float64Array(capacity));
    this.ends = grown(this.ends, new Float64Array(capacity));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
    this.heapPos = grown(this.heapPos, new Int32Array(capacity));
    this.heap = grown(this.heap, new Int32Array(capacity));
    this.capacity = capacity;
    this.onGrow(capacity);
  }
}

/** Copies `from` into the larger `to` and returns `to`. */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** Deterministic order of windows closing together: by end, then key, then start. */
export function compareEntries<K extends string>(a: { key: K; start: number; end: number }, b: { key: K; start: number; end: number }): number {
  if (a.end !== b.end) return a.end - b.end;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.start - b.start;
}
