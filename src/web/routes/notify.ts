import type { FastifyInstance } from 'fastify';
import type { NotifyFacade } from '../../notify/notify-facade.js';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { NotifyOverview, NotifyTestResponse } from '../api-types/notify.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const channelParams = {
  type: 'object',
  properties: { channel: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
  required: ['channel'],
} as const;

export interface NotifyRouteOptions {
  readonly notify: NotifyFacade;
}

/**
 * Notifications: the channels and their queues (viewers see them: no secret is in them), and a test message per
 * channel (admins: it reaches people).
 */
export function notifyRoutes(instance: FastifyInstance, { notify }: NotifyRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/notify', { config: { access: 'viewer' } }, (): NotifyOverview => notify.overview());

  app.post(
    '/api/notify/:channel/test',
    { config: { access: 'admin' }, schema: { params: channelParams } },
    (req, reply) => {
      const { channel } = req.params;
      const queued = notify.sendTest(channel, req.principal?.name ?? 'unknown');
      if (!queued)
        throw new UpsguardError(ErrorCode.NotFound, `no notification channel is named ${channel}`, {
          channel,
        });
      req.auditDetail = `test notification queued for ${channel}`;
      const body: NotifyTestResponse = { channel, messageId: queued.messageId };
      return reply.status(202).send(body);
    },
  );
}
