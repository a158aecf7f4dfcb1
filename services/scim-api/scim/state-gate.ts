import type { NextFunction, Request, Response } from 'express';
import type { ScimStatus } from '../../../shared/domain/settings/settings';
import { scimErrors } from '../../../shared/scim/errors';

/**
 * scim-behaviour.md, Administration: while SCIM is paused (or disabled) Users and Groups answer
 * 403; discovery keeps answering. The state comes with the token's check (scim_status, written
 * with every settings event), so a pause holds from the next request on, on every instance;
 * `status` answers only when the request did not bring it.
 */
export function scimStateGate(status: () => Promise<ScimStatus>) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const current = req.scimStatus ?? (await status());
      if (current === 'paused') return next(scimErrors.forbidden('SCIM provisioning is paused by an administrator'));
      if (current === 'disabled') return next(scimErrors.forbidden('SCIM provisioning is disabled'));
      next();
    } catch (error) {
      next(error);
    }
  };
}
