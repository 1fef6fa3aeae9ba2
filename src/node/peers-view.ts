/** The peers read model lives with the membership actor (`src/actors/peers-view.ts`). */
export * from '../actors/peers-view.js';
