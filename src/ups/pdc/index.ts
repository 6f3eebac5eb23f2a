export { createUpsModel } from './ups-model.js';
export * from './types.js';
export { formatFixed, formatG, pdcDate, apcDate } from './format.js';
export { statusTokens, type StatusFlag } from './status.js';
export { COMMAND_GAP_MS } from './commands.js';
