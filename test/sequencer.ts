/**
 * The order test files start in: the longest files first, so the last minutes of a run are
 * not one long file alone on one worker while the other idles. Vitest orders files it has no
 * timings for by size, and the pipeline chaos file (10 runs, about 8 minutes) is a small one;
 * on a fresh clone (CI) it would start last. The files named here start first, in this order;
 * the rest follow in Vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST_FIRST = ['test/cluster/pipeline-chaos.test.ts', 'test/claims/chaos.test.ts'];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const at = LONGEST_FIRST.findIndex((suffix) => spec.moduleId.endsWith(suffix));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    // a stable sort: the named files move to the front, everything else keeps its place
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
