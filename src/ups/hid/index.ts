export * from './types.js';
export { parseReportDescriptor, DESCRIPTOR_LIMITS, type ParseOptions } from './descriptor-parser.js';
export { GENERIC_USAGES, UsageNames, usageCode, type UsageNameTable } from './usage-tables.js';
export * from './vendor-usages.js';
export {
  readLogical,
  readValue,
  writeValue,
  setValue,
  emptyReport,
  logicalToPhysical,
  physicalToLogical,
  maskLogical,
  isWritable,
  unitBaseExponent,
} from './report-codec.js';
