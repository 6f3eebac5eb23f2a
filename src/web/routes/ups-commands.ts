import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { COMMAND_DESCRIPTIONS } from '../../ups/nut/descriptions.js';
import type { UpsCommand } from '../../ups/pdc/index.js';
import { allows } from '../access.js';
import type { UpsCommandResult, UpsCommandView, UpsCommandsResponse } from '../api-types/nut.js';
import type { WebDeps, WebRouteOptions } from '../deps.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

/** Commands that cut (or may cut) the load: the request must name the UPS to confirm. */
const CUTS_POWER: ReadonlySet<UpsCommand> = new Set([
  'shutdown.return',
  'load.off.delay',
  'shutdown.stayoff',
  'shutdown.reboot',
  'load.off',
  // An outlet group's load-off cuts the machines on that group: the same confirmation as the whole UPS's.
  'outlet.1.load.off',
  'outlet.2.load.off',
]);

/** Operators may beep and test; everything that touches the load or its delays is an admin's. */
export function commandAccess(cmd: string): 'operator' | 'admin' {
  return cmd.startsWith('beeper.') || cmd.startsWith('test.battery.') ? 'operator' : 'admin';
}

export function commandView(cmd: UpsCommand): UpsCommandView {
  return {
    name: cmd,
    description: COMMAND_DESCRIPTIONS[cmd] ?? cmd,
    access: commandAccess(cmd),
    confirm: CUTS_POWER.has(cmd),
  };
}

const upsParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const commandParams = {
  type: 'object',
  required: ['name', 'cmd'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    cmd: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const commandBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    confirm: { type: 'string', maxLength: 64 },
    offDelay: { type: 'integer', minimum: 0, maximum: 86_400 },
    onDelay: { type: 'integer', minimum: 0, maximum: 86_400 },
  },
} as const;

type CommandHandle = NonNullable<NonNullable<WebDeps['readApis']>['commands']>[number];

function handleOf(deps: WebDeps, name: string): CommandHandle {
  const h = deps.readApis?.commands?.find((u) => u.name === name);
  if (!h) throw new UpsguardError(ErrorCode.NotFound, `name: no UPS named ${JSON.stringify(name)}`);
  return h;
}

/** GET /api/ups/:name/commands: read-only, registered with the other reads. */
export function upsCommandRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  const handle = (name: string): CommandHandle => handleOf(deps, name);
  app.get(
    '/api/ups/:name/commands',
    { schema: { params: upsParams }, config: { access: 'viewer' } },
    (req): UpsCommandsResponse => {
      const h = handle(req.params.name);
      return { ups: h.name, commands: h.supportedCommands().map(commandView) };
    },
  );
}

/** POST /api/ups/:name/commands/:cmd: changes the device, so it belongs in the admin (state-changing) context. */
export function upsCommandActionRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  const handle = (name: string): CommandHandle => handleOf(deps, name);
  app.post(
    '/api/ups/:name/commands/:cmd',
    { schema: { params: commandParams, body: commandBody }, config: { access: 'operator' } },
    async (req, reply): Promise<UpsCommandResult> => {
      const h = handle(req.params.name);
      const cmd = h.supportedCommands().find((c) => c === req.params.cmd);
      if (cmd === undefined) {
        throw new UpsguardError(
          ErrorCode.NotFound,
          `cmd: UPS ${h.name} has no command ${JSON.stringify(req.params.cmd)} (it supports: ${h.supportedCommands().join(', ') || 'none'})`,
        );
      }
      const view = commandView(cmd);
      // The route lets operators in; the command's own access decides. No principal (no auth hook) means no one.
      if (!allows(req.principal?.role ?? null, view.access)) {
        return reply.status(403).send({
          error: ErrorCode.Forbidden,
          message: `${cmd} on ${h.name} needs the ${view.access} role`,
        });
      }
      const body = req.body;
      if (view.confirm && body.confirm !== h.name) {
        throw new UpsguardError(
          ErrorCode.RequestInvalid,
          `confirm: ${cmd} cuts power to the load of ${h.name}; send confirm equal to the UPS name to run it`,
        );
      }
      req.auditDetail = `${h.name}: ${cmd}`;
      try {
        await h.command(cmd, {
          ...(body.offDelay === undefined ? {} : { offDelay: body.offDelay }),
          ...(body.onDelay === undefined ? {} : { onDelay: body.onDelay }),
        });
      } catch (err) {
        // The device said no (or did not answer): the caller learns why; the service goes on.
        return reply.status(502).send({ ok: false, message: `${h.name}: ${cmd} failed: ${errorMessage(err)}` });
      }
      return { ok: true, message: `${h.name}: ${cmd} sent` };
    },
  );
}
