/** The bus compliance suite against the in-process hub. */
import { busCompliance } from '../compliance/bus.js';
import { localHarness } from './harness.js';

busCompliance('local', () => Promise.resolve(localHarness()));
