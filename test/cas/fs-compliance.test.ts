// The fs content store against the cas compliance suite.
import { casCompliance } from '../compliance/cas.js';
import { openStore } from './support.js';

casCompliance('fs', () => openStore());
