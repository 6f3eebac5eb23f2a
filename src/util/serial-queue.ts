/**
 * A FIFO of async tasks run one at a time: one per device, so a read-modify-write of a feature report (a UPS command)
 * never interleaves with another. A task that fails rejects its own caller only; the queue goes on.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.count;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.count++;
    const result = this.tail.then(task).finally(() => {
      this.count--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
