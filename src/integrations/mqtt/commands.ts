import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { UpsHandle } from '../../ups/ups-handle.js';
import { commandView } from '../../web/routes/ups-commands.js';

/** A command as it came on the command topic: a bare name, or JSON `{ "command": …, "confirm": <UPS name> }`. */
export interface CommandRequest {
  readonly command: string;
  readonly confirm: string | null;
}

export interface CommandOutcome {
  readonly command: string;
  readonly ok: boolean;
  readonly message: string;
}

const MAX_PAYLOAD = 512;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Parses a command message; a typed error says what is wrong with it (never echoing more than the name). */
export function parseCommand(payload: Buffer | string): CommandRequest {
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  if (text.length === 0 || text.length > MAX_PAYLOAD) {
    throw new UpsguardError(ErrorCode.UpsCommandInvalid, `payload: expected a command name (1-${MAX_PAYLOAD} bytes)`);
  }
  let command: unknown = text;
  let confirm: unknown = null;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UpsguardError(ErrorCode.UpsCommandInvalid, 'payload: not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UpsguardError(ErrorCode.UpsCommandInvalid, 'payload: expected a JSON object');
    }
    command = (parsed as Record<string, unknown>).command;
    confirm = (parsed as Record<string, unknown>).confirm ?? null;
  }
  if (typeof command !== 'string' || !NAME.test(command)) {
    throw new UpsguardError(ErrorCode.UpsCommandInvalid, 'command: expected a NUT command name like beeper.mute');
  }
  if (confirm !== null && typeof confirm !== 'string') {
    throw new UpsguardError(ErrorCode.UpsCommandInvalid, 'confirm: expected the UPS name as a string');
  }
  return { command, confirm };
}

/**
 * Runs an allowed command through the UPS handle's own queue (the API's path). Refused unless the config allows it
 * by name and the UPS supports it; one that cuts power needs `confirm` equal to the UPS name, as on the API.
 */
export async function runCommand(
  handle: Pick<UpsHandle, 'name' | 'supportedCommands' | 'command'>,
  allowed: ReadonlySet<string>,
  req: CommandRequest,
): Promise<CommandOutcome> {
  const { command } = req;
  if (!allowed.has(command)) {
    return { command, ok: false, message: `refused: ${command} is not in mqtt.allow_commands` };
  }
  const cmd = handle.supportedCommands().find((c) => c === command);
  if (cmd === undefined) {
    return { command, ok: false, message: `refused: UPS ${handle.name} has no command ${command}` };
  }
  if (commandView(cmd).confirm && req.confirm !== handle.name) {
    return {
      command,
      ok: false,
      message: `refused: ${command} cuts power to the load of ${handle.name}; send {"command":"${command}","confirm":"${handle.name}"}`,
    };
  }
  try {
    await handle.command(cmd);
    return { command, ok: true, message: `${handle.name}: ${command} sent` };
  } catch (err) {
    return { command, ok: false, message: `${handle.name}: ${command} failed: ${errorMessage(err)}` };
  }
}
