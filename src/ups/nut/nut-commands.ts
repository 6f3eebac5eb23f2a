import { randomUUID } from 'node:crypto';
import type { NutRight } from './nut-auth.js';
import { quote } from './line-codec.js';
import { HELP_TEXT, NUT_COMPAT_VERSION, PROTOCOL_VERSION, err, type NutErrorCode } from './protocol.js';
import {
  availability,
  canonicalName,
  checkValue,
  describeCommand,
  describeVariable,
  typeOf,
  variablesOf,
  writableOf,
  type NutServedUps,
} from './ups-view.js';

/** One client connection's protocol state. */
export interface NutSession {
  readonly id: number;
  readonly address: string;
  username?: string;
  password?: string;
  loginUps?: string;
  loggedInAt?: number;
  tls: boolean;
  tracking: boolean;
}

export interface Reply {
  readonly lines: readonly string[];
  /** LOGOUT: send, then close. */
  readonly close?: boolean;
  /** STARTTLS granted: send, then upgrade the socket. */
  readonly startTls?: boolean;
}

/** What the command handler needs from the server: the UPSes, their latches and logins, and authorisation. */
export interface CommandContext {
  readonly verText: string;
  tlsAvailable(): boolean;
  /** A UPS by any case of its name or of an alias (upsd compares names with strcasecmp). */
  find(name: string): NutServedUps | undefined;
  list(): readonly NutServedUps[];
  /** Async: a user with a scrypt password hash is checked off the event loop. */
  authorize(session: NutSession, right: NutRight): Promise<boolean>;
  login(session: NutSession, ups: string): void;
  numLogins(ups: string): number;
  clientAddresses(ups: string): string[];
  isFsd(ups: string): boolean;
  setFsd(ups: string, by: string): void;
  delays(ups: string): Readonly<Record<string, string>>;
  setDelay(ups: string, name: string, value: string): void;
  /** Writes a device-backed RW variable; resolves false when the UPS refused or timed out. */
  setVariable(ups: NutServedUps, name: string, value: string, by: string): Promise<boolean>;
  /** Runs an instant command; resolves false when the UPS refused or timed out. */
  instcmd(ups: NutServedUps, cmd: string, param: string | undefined, by: string): Promise<boolean>;
  readonly tracking: Map<string, 'PENDING' | 'SUCCESS' | 'FAILED'>;
}

const one = (line: string): Reply => ({ lines: [line] });
const fail = (code: NutErrorCode): Reply => one(err(code));

/** Commands that need USERNAME and PASSWORD first (upsd's FLAG_USER). */
const NEEDS_USER = new Set(['LOGIN', 'PRIMARY', 'MASTER', 'FSD', 'SET', 'INSTCMD']);

/** Answers one parsed request exactly as upsd 2.8 does. Never throws for bad input. */
export async function handleCommand(ctx: CommandContext, s: NutSession, words: readonly string[]): Promise<Reply> {
  const [cmdWord = '', ...args] = words;
  const cmd = cmdWord.toUpperCase();
  if (NEEDS_USER.has(cmd)) {
    if (s.username === undefined) return fail('USERNAME-REQUIRED');
    if (s.password === undefined) return fail('PASSWORD-REQUIRED');
  }
  switch (cmd) {
    case 'VER':
      return one(ctx.verText);
    case 'NETVER':
    case 'PROTVER':
      return one(PROTOCOL_VERSION);
    case 'HELP':
      return one(HELP_TEXT);
    case 'STARTTLS':
      if (s.tls) return fail('ALREADY-SSL-MODE');
      if (!ctx.tlsAvailable()) return fail('FEATURE-NOT-CONFIGURED');
      return { lines: ['OK STARTTLS'], startTls: true };
    case 'USERNAME':
      if (args.length !== 1) return fail('INVALID-ARGUMENT');
      if (s.username !== undefined) return fail('ALREADY-SET-USERNAME');
      s.username = args[0]!;
      return one('OK');
    case 'PASSWORD':
      if (args.length !== 1) return fail('INVALID-ARGUMENT');
      if (s.password !== undefined) return fail('ALREADY-SET-PASSWORD');
      s.password = args[0]!;
      return one('OK');
    case 'LOGOUT':
      return { lines: ['OK Goodbye'], close: true };
    case 'LOGIN': {
      if (args.length !== 1) return fail('INVALID-ARGUMENT');
      if (s.loginUps !== undefined) return fail('ALREADY-LOGGED-IN');
      const ups = ctx.find(args[0]!);
      if (!ups) return fail('UNKNOWN-UPS');
      if (!(await ctx.authorize(s, { kind: 'LOGIN' }))) return fail('ACCESS-DENIED');
      ctx.login(s, ups.name);
      return one('OK');
    }
    case 'PRIMARY':
    case 'MASTER': {
      if (args.length !== 1) return fail('INVALID-ARGUMENT');
      if (!ctx.find(args[0]!)) return fail('UNKNOWN-UPS');
      if (!(await ctx.authorize(s, { kind: 'PRIMARY' }))) return fail('ACCESS-DENIED');
      return one(`OK ${cmd}-GRANTED`);
    }
    case 'FSD': {
      if (args.length !== 1) return fail('INVALID-ARGUMENT');
      const ups = ctx.find(args[0]!);
      if (!ups) return fail('UNKNOWN-UPS');
      if (!(await ctx.authorize(s, { kind: 'FSD' }))) return fail('ACCESS-DENIED');
      ctx.setFsd(ups.name, `${s.username ?? ''}@${s.address}`);
      return one('OK FSD-SET');
    }
    case 'GET':
      return get(ctx, s, args);
    case 'LIST':
      return list(ctx, args);
    case 'SET':
      return set(ctx, s, args);
    case 'INSTCMD':
      return instcmd(ctx, s, args);
    default:
      return fail('UNKNOWN-COMMAND');
  }
}

function served(ctx: CommandContext, name: string): NutServedUps | NutErrorCode {
  const ups = ctx.find(name);
  if (!ups) return 'UNKNOWN-UPS';
  return availability(ups.snapshot()) ?? ups;
}

function varsOf(ctx: CommandContext, ups: NutServedUps): Map<string, string> {
  return variablesOf(ups.snapshot(), ctx.isFsd(ups.name), ctx.delays(ups.name), ups.driverVariables?.() ?? {});
}

/** Replies name the UPS and the variable as the client spelled them, as upsd's do. */
function get(ctx: CommandContext, s: NutSession, args: readonly string[]): Reply {
  const [sub = '', name = '', item] = args;
  switch (sub.toUpperCase()) {
    case 'TRACKING': {
      if (args.length === 1) return one(s.tracking ? 'ON' : 'OFF');
      if (!s.tracking) return fail('FEATURE-NOT-CONFIGURED');
      const state = ctx.tracking.get(name);
      if (state === undefined) return fail('UNKNOWN');
      return state === 'FAILED' ? fail('FAILED') : one(state);
    }
    case 'UPSDESC': {
      if (args.length < 2) return fail('INVALID-ARGUMENT');
      const ups = ctx.find(name);
      if (!ups) return fail('UNKNOWN-UPS');
      return one(`UPSDESC ${name} ${quote(ups.description ?? 'Unavailable')}`);
    }
    case 'NUMLOGINS': {
      if (args.length < 2) return fail('INVALID-ARGUMENT');
      const ups = served(ctx, name);
      if (typeof ups === 'string') return fail(ups);
      return one(`NUMLOGINS ${name} ${ctx.numLogins(ups.name)}`);
    }
    case 'VAR':
    case 'TYPE':
    case 'DESC':
    case 'CMDDESC': {
      if (item === undefined) return fail('INVALID-ARGUMENT');
      const kind = sub.toUpperCase();
      if (kind === 'VAR' && item.toLowerCase().startsWith('server.')) {
        const v = item.toLowerCase();
        if (v === 'server.info') return one(`VAR ${name} server.info ${quote(ctx.verText)}`);
        if (v === 'server.version') return one(`VAR ${name} server.version ${quote(NUT_COMPAT_VERSION)}`);
        return fail('VAR-NOT-SUPPORTED');
      }
      const ups = served(ctx, name);
      if (typeof ups === 'string') return fail(ups);
      if (kind === 'DESC') return one(`DESC ${name} ${item} ${quote(describeVariable(item))}`);
      if (kind === 'CMDDESC') return one(`CMDDESC ${name} ${item} ${quote(describeCommand(item))}`);
      const vars = varsOf(ctx, ups);
      const key = canonicalName(vars, item);
      if (key === undefined) return fail('VAR-NOT-SUPPORTED');
      if (kind === 'VAR') return one(`VAR ${name} ${item} ${quote(vars.get(key)!)}`);
      const w = writableOf(ups, vars).find((x) => x.name === key);
      return one(`TYPE ${name} ${item} ${typeOf(w)}`);
    }
    default:
      return fail('INVALID-ARGUMENT');
  }
}

function list(ctx: CommandContext, args: readonly string[]): Reply {
  const [sub = '', name = '', item] = args;
  const kind = sub.toUpperCase();
  if (kind === 'UPS') {
    const lines = ctx.list().map((u) => `UPS ${u.name} ${quote(u.description ?? 'Description unavailable')}`);
    return { lines: ['BEGIN LIST UPS', ...lines, 'END LIST UPS'] };
  }
  if (!['VAR', 'RW', 'CMD', 'ENUM', 'RANGE', 'CLIENT'].includes(kind) || args.length < 2)
    return fail('INVALID-ARGUMENT');
  if ((kind === 'ENUM' || kind === 'RANGE') && item === undefined) return fail('INVALID-ARGUMENT');
  if (kind === 'CLIENT') {
    const ups = ctx.find(name);
    if (!ups) return fail('UNKNOWN-UPS');
    // upsd names the UPS in CLIENT lines by its own name, and echoes the client's spelling everywhere else.
    const lines = ctx.clientAddresses(ups.name).map((a) => `CLIENT ${ups.name} ${a}`);
    return { lines: [`BEGIN LIST CLIENT ${name}`, ...lines, `END LIST CLIENT ${name}`] };
  }
  const ups = served(ctx, name);
  if (typeof ups === 'string') return fail(ups);
  const vars = varsOf(ctx, ups);
  const head = kind === 'ENUM' || kind === 'RANGE' ? `${kind} ${name} ${item ?? ''}` : `${kind} ${name}`;
  let body: string[] = [];
  if (kind === 'VAR') body = [...vars].map(([k, v]) => `VAR ${name} ${k} ${quote(v)}`);
  else if (kind === 'RW') body = writableOf(ups, vars).map((w) => `RW ${name} ${w.name} ${quote(vars.get(w.name)!)}`);
  else if (kind === 'CMD') body = [...ups.supportedCommands()].sort().map((c) => `CMD ${name} ${c}`);
  else {
    const key = canonicalName(vars, item ?? '');
    if (key === undefined) return fail('VAR-NOT-SUPPORTED');
    const w = writableOf(ups, vars).find((x) => x.name === key);
    if (kind === 'ENUM') body = (w?.enum ?? []).map((v) => `ENUM ${name} ${item ?? ''} ${quote(v)}`);
    else if (w?.range)
      body = [`RANGE ${name} ${item ?? ''} ${quote(String(w.range.min))} ${quote(String(w.range.max))}`];
  }
  return { lines: [`BEGIN LIST ${head}`, ...body, `END LIST ${head}`] };
}

/** upsd's order: UNKNOWN-UPS, the driver's state, ACCESS-DENIED, then VAR-NOT-SUPPORTED, READONLY and the value. */
async function set(ctx: CommandContext, s: NutSession, args: readonly string[]): Promise<Reply> {
  const [sub = '', name = '', item, value] = args;
  if (sub.toUpperCase() === 'TRACKING' && args.length === 2) {
    const v = name.toUpperCase();
    if (v !== 'ON' && v !== 'OFF') return fail('INVALID-ARGUMENT');
    s.tracking = v === 'ON';
    return one('OK');
  }
  if (sub.toUpperCase() !== 'VAR' || item === undefined || value === undefined) return fail('INVALID-ARGUMENT');
  const ups = served(ctx, name);
  if (typeof ups === 'string') return fail(ups);
  if (!(await ctx.authorize(s, { kind: 'SET' }))) return fail('ACCESS-DENIED');
  const vars = varsOf(ctx, ups);
  const key = canonicalName(vars, item);
  if (key === undefined) return fail('VAR-NOT-SUPPORTED');
  const w = writableOf(ups, vars).find((x) => x.name === key);
  if (!w) return fail('READONLY');
  const problem = checkValue(w, value);
  if (problem) return fail(problem);
  // Driver-side values (the delays, outlet.desc) change only what is served, as usbhid-ups keeps them itself.
  if (w.driverSide === true || w.name.startsWith('ups.delay.')) {
    ctx.setDelay(ups.name, w.name, value);
    return tracked(ctx, s, 'SUCCESS');
  }
  const by = `${s.username ?? ''}@${s.address}`;
  if (s.tracking) {
    const id = randomUUID();
    ctx.tracking.set(id, 'PENDING');
    void ctx.setVariable(ups, w.name, value, by).then((ok) => ctx.tracking.set(id, ok ? 'SUCCESS' : 'FAILED'));
    return one(`OK TRACKING ${id}`);
  }
  return (await ctx.setVariable(ups, w.name, value, by)) ? one('OK') : fail('SET-FAILED');
}

function tracked(ctx: CommandContext, s: NutSession, state: 'PENDING' | 'SUCCESS'): Reply {
  if (!s.tracking) return one('OK');
  const id = randomUUID();
  ctx.tracking.set(id, state);
  return one(`OK TRACKING ${id}`);
}

/** upsd's order: UNKNOWN-UPS, the driver's state, CMD-NOT-SUPPORTED (any case), then ACCESS-DENIED. */
async function instcmd(ctx: CommandContext, s: NutSession, args: readonly string[]): Promise<Reply> {
  const [name = '', given, param] = args;
  if (given === undefined) return fail('INVALID-ARGUMENT');
  const ups = served(ctx, name);
  if (typeof ups === 'string') return fail(ups);
  const cmd = ups.supportedCommands().find((c) => c === given.toLowerCase());
  if (cmd === undefined) return fail('CMD-NOT-SUPPORTED');
  if (!(await ctx.authorize(s, { kind: 'INSTCMD', cmd }))) return fail('ACCESS-DENIED');
  if (param !== undefined && !/^\d{1,5}$/.test(param)) return fail('INVALID-ARGUMENT');
  const by = `${s.username ?? ''}@${s.address}`;
  if (s.tracking) {
    const id = randomUUID();
    ctx.tracking.set(id, 'PENDING');
    void ctx.instcmd(ups, cmd, param, by).then((ok) => ctx.tracking.set(id, ok ? 'SUCCESS' : 'FAILED'));
    return one(`OK TRACKING ${id}`);
  }
  return (await ctx.instcmd(ups, cmd, param, by)) ? one('OK') : fail('INSTCMD-FAILED');
}
