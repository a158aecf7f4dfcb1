import { platformProjection } from './platform/projection';
import { scimProjection } from './scim/projection';
import type { Projection } from './runtime/projection';

/**
 * Every projection the service runs, and the ones `scim-audit rebuild` rebuilds when given no names:
 * `scim` (SCIM resources, also kept inline by writers on the Postgres store) and `platform`
 * (accounts, teams, members, site admins, settings, tokens, activity, in log order).
 */
export const projections: Projection[] = [scimProjection, platformProjection];
