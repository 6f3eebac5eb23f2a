/** A numbered input report as the agent keeps it for resuming clients. */
export interface NumberedInput {
  readonly seq: number;
  readonly at: number;
  readonly bytes: Uint8Array;
}

/**
 * A bounded ring of numbered input reports. A client that reconnects asks for everything after the last sequence
 * number it saw; if that is no longer held, it must re-read in full instead.
 */
export class InputRing {
  private readonly items: NumberedInput[] = [];
  private nextSeq = 1;

  constructor(private readonly capacity: number) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  push(bytes: Uint8Array, at: number): NumberedInput {
    const item = { seq: this.nextSeq++, at, bytes };
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
    return item;
  }

  /** Everything after `since`, or null when part of it has already been dropped. */
  since(since: number): NumberedInput[] | null {
    if (since >= this.lastSeq) return [];
    const first = this.items[0];
    if (!first || first.seq > since + 1) return null;
    return this.items.slice(since + 1 - first.seq);
  }
}
