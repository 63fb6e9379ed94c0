import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runtimeOptions, RuntimeFlagsSchema } from '../src/cli/runtime-flags.js';

describe('--threads', () => {
  const flags = (threads?: string) => RuntimeFlagsSchema.parse(threads === undefined ? {} : { threads });
  const cases: [string | undefined, number | undefined, boolean][] = [
    ['999', 4, true],
    ['5', 4, true],
    ['4', 4, false],
    ['1', 1, false],
    [undefined, undefined, false],
  ];
  for (const [given, used, warned] of cases) {
    it(`--threads ${given ?? '(none)'} on 4 cores: ${used ?? 'the runtime default'}${warned ? ', with a warning' : ''}`, () => {
      const warnings: string[] = [];
      const o = runtimeOptions(flags(given), (m) => warnings.push(m), 4);
      assert.equal(o.threads, used);
      assert.equal(warnings.length, warned ? 1 : 0);
      if (warned) assert.match(warnings[0]!, new RegExp(`--threads ${given} is more than the 4 .*; using 4`));
    });
  }
});
