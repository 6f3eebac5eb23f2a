import type { UpsHandle } from '../ups/ups-handle.js';

/**
 * One UPS as the shutdown side uses it: its snapshot and its commands, through the same handle (and the same
 * per-device command queue) as the NUT server and the web.
 */
export type WatchedSource = Pick<
  UpsHandle,
  'name' | 'snapshot' | 'command' | 'supportedCommands' | 'loadOffHonoursDelay'
>;
