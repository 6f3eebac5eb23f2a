import { vcsimBinary } from '../helpers/vcsim.js';

/**
 * Test files run in parallel: build vcsim once before any of them starts, instead of once per file that needs it
 * on a fresh clone (each build takes a core for ~15 s).
 */
export default function setup(): void {
  vcsimBinary();
}
