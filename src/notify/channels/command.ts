import { spawn, type ChildProcess } from 'node:child_process';
import type { ChannelConfig } from '../../config/notify-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { eventPayload, type Channel, type OutgoingMessage } from './channel.js';

type CommandConfig = Extract<ChannelConfig, { kind: 'command' }>;

/**
 * The NOTIFYCMD-style command: run with the event in its environment as NUT's upsmon does (NOTIFYTYPE, UPSNAME, the
 * message as its last argument), plus UPSGUARD_EVENT (the event as JSON) and UPSGUARD_MESSAGE_ID (the idempotency
 * key). Exit 0 is delivery; another exit, a timeout (the child is killed) or a failure to start is a failed attempt.
 */
export function commandChannel(c: CommandConfig, spawnImpl: typeof spawn = spawn): Channel {
  return { name: c.name, kind: c.kind, config: c, send: (m) => runCommand(c, m, spawnImpl) };
}

function failure(c: CommandConfig, why: string, cause?: unknown): UpsguardError {
  return new UpsguardError(ErrorCode.NotifyFailed, `notify command ${c.path} ${why}`, { command: c.path }, { cause });
}

/**
 * Never throws synchronously: with descriptors exhausted `spawn` may throw, or return a child without stdio whose
 * 'error' follows on the next tick, so the error handler is attached first and every stream is optional.
 */
export function runCommand(c: CommandConfig, m: OutgoingMessage, doSpawn: typeof spawn = spawn): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: UpsguardError): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const failedToStart = (err: unknown): void => {
      finish(failure(c, `could not be started: ${errorMessage(err)}`, err));
    };
    let child: ChildProcess;
    try {
      child = doSpawn(c.path, [...c.args, m.event.message], {
        env: {
          ...process.env,
          NOTIFYTYPE: m.event.type,
          UPSNAME: m.event.ups,
          UPSGUARD_EVENT: JSON.stringify(eventPayload(m.event, m.id)),
          UPSGUARD_MESSAGE_ID: m.id,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      failedToStart(err);
      return;
    }
    try {
      child.on('error', failedToStart);
      let stderr = '';
      // Null when the process could not be created (EMFILE): the 'error' above follows.
      child.stderr?.on('error', () => undefined);
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-300);
      });
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(failure(c, `timed out after ${c.timeout_ms} ms; killed`));
      }, c.timeout_ms);
      child.on('close', (code, signal) => {
        if (code === 0) finish();
        else finish(failure(c, `exited with ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`));
      });
    } catch (err) {
      failedToStart(err);
    }
  });
}
