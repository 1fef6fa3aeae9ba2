/**
 * The WHOOSH coordinator port: the original system's task source (its "Hive" API), spoken with a
 * bearer key. Four calls: the active repositories, a project's tasks, registering a claim, and
 * reporting a status. The claim registered here is advice for humans; the lease (SPEC §8) stays
 * the truth.
 */
import { HttpWhooshClient } from './http.js';
import type { WhooshClient, WhooshInit, WhooshComponents } from './types.js';

export type * from './types.js';
export { WhooshHttpError, WhooshResponseError, WhooshUnavailableError } from './errors.js';

export function createWhooshClient(init: WhooshInit, components: WhooshComponents): WhooshClient {
  return new HttpWhooshClient(init, components);
}
