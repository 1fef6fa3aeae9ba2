/** The bus compliance suite on libp2p: several nodes on loopback and a raw injecting node. */
import { busCompliance } from '../compliance/bus.js';
import { libp2pHarness } from './libp2p-harness.js';

busCompliance('libp2p', () => libp2pHarness());
