import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ErrorCode } from '../../errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Until login exists, whatever can power something off answers only to this machine. An onRequest hook, so it runs
 * before the body is parsed or validated: a caller from elsewhere learns nothing but 403.
 */
export function loopbackOnly(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    done();
    return;
  }
  void reply.status(403).send({ error: ErrorCode.Forbidden, message: 'this action is allowed from loopback only' });
}
