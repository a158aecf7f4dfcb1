import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { CommandContext } from '../../../shared/domain/metadata';
import type { Clock } from '../../../shared/clock';

/** Ids, time, actor and source of a request, as every event it causes will record them. */
export function commandContext(req: Request, clock: Clock): CommandContext {
  const requestId = String(req.id);
  const correlation = req.headers['x-correlation-id'];
  const userAgent = req.headers['user-agent'];
  return {
    commandId: randomUUID(),
    requestId,
    correlationId: typeof correlation === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(correlation) ? correlation : requestId,
    actor: req.actor ?? { kind: 'system', id: 'anonymous' },
    source: { ...(req.ip ? { ip: req.ip } : {}), ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}) },
    now: clock.now().toISOString(),
  };
}
