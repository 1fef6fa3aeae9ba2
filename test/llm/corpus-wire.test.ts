// Every reply shape of the replay corpus, end to end: both wire formats, streaming and not, in
// each reply mode where the shape can arrive, read as labelled (a decision, or a correction).
import { describe, expect, it } from 'vitest';
import { REPLY_MODES } from '../../src/adapters/llm/index.js';
import { REPLY_CORPUS } from './corpus/index.js';
import { applies, matches, replayEntry } from './corpus-run.js';

describe('the reply corpus on the wire', () => {
  it('has entries', () => {
    expect(REPLY_CORPUS.length).toBeGreaterThan(0);
  });

  for (const wire of ['openai', 'ollama'] as const)
    for (const stream of [true, false])
      for (const mode of REPLY_MODES)
        describe(`${wire}, ${stream ? 'streaming' : 'one reply'}, ${mode} mode`, () => {
          for (const entry of REPLY_CORPUS.filter((e) => applies(e, wire, mode)))
            it(entry.id, async () => {
              const outcome = await replayEntry(entry, wire, stream, mode);
              expect(matches(entry, outcome), JSON.stringify({ expected: entry.expect, outcome })).toBe(true);
            });
        });
});
