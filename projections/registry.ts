import { scimProjection } from './scim/projection';
import type { Projection } from './runtime/projection';

/**
 * Every projection the service runs, and the ones scripts/rebuild.ts rebuilds when given no names.
 * Register each read model's projection here.
 */
export const projections: Projection[] = [scimProjection];
