/** Keeps the newest `capacity` items; older ones are overwritten, so memory stays fixed however chatty an app is. */
export class RingBuffer<T> {
  private readonly slots: Array<T | undefined>;
  private nextSlot = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.slots[this.nextSlot] = item;
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Oldest first. */
  toArray(): T[] {
    const items: T[] = [];
    const oldest = (this.nextSlot - this.count + this.capacity) % this.capacity;
    for (let offset = 0; offset < this.count; offset += 1) {
      const item = this.slots[(oldest + offset) % this.capacity];
      if (item !== undefined) items.push(item);
    }
    return items;
  }

  get size(): number {
    return this.count;
  }
}
