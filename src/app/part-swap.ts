import { errorMessage } from '../errors.js';
import type { Part } from './part.js';

export interface PartSwap<P extends Part> {
  readonly old: P;
  readonly next: P;
  /**
   * The new part takes the old one's listening address: the old must let go of it before the new can bind, so the
   * old is stopped first (and started again if the new fails). Otherwise the new binds first and the old is stopped
   * only once the new one is up, so a bind failure leaves the old one untouched.
   */
  readonly sameAddress: boolean;
  /** Starts a part and brings it to serving (listening included); throws when it is not serving. */
  readonly bringUp: (p: P) => Promise<void>;
  readonly stop: (p: P) => Promise<void>;
}

/**
 * Replaces a running part by one built from new settings, such that on failure the old one is running again and the
 * error says what failed. Resolves with the part that serves now (the new one).
 */
export async function swapPart<P extends Part>(s: PartSwap<P>): Promise<P> {
  if (!s.sameAddress) {
    try {
      await s.bringUp(s.next);
    } catch (err) {
      await stopQuietly(s, s.next);
      throw err;
    }
    await s.stop(s.old);
    return s.next;
  }
  await s.stop(s.old);
  try {
    await s.bringUp(s.next);
    return s.next;
  } catch (err) {
    await stopQuietly(s, s.next);
    try {
      await s.bringUp(s.old);
    } catch (again) {
      throw new Error(
        `${errorMessage(err)}; and the old ${s.old.name} could not be started again: ${errorMessage(again)}`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function stopQuietly<P extends Part>(s: PartSwap<P>, p: P): Promise<void> {
  try {
    await s.stop(p);
  } catch {
    // The part never served; what its start failed with is the error reported.
  }
}
