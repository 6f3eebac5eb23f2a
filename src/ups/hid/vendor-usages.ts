/** The vendor usage-name tables, kept importable from here; the tables themselves live in usage-tables.ts. */
export {
  APC_USAGES,
  BELKIN_USAGES,
  CPS_USAGES,
  MGE_USAGES,
  POWERCOM_USAGES,
  TRIPPLITE_USAGES,
} from './usage-tables.js';
