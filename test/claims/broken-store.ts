/**
 * A deliberately broken JetStream claim store: its claim skips the create-if-absent check and
 * overwrites a live lease (still by compare-and-set on the revision it read, so only the
 * liveness check is missing). The history checker must catch it.
 */
import { JetStreamClaimStore } from '../../src/adapters/claims/index.js';

export class BrokenClaimStore extends JetStreamClaimStore {
  protected override admits(): boolean {
    return true;
  }
}
