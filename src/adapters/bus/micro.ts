/** The micro service lives with the NATS connection (`src/adapters/nats/`); its names stay here too. */
export { SERVICE_ENDPOINTS, serviceSubject, type NatsServiceHandlers } from '../nats/index.js';
