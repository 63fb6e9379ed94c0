import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const ENTRY = fileURLToPath(new URL('./helpers/cli-entry.ts', import.meta.url));

// A resolve hook that reports every import of the queue client.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(s, c, next) {
  if (s === 'bullmq' || s === 'ioredis') process.stderr.write('IMPORTED ' + s + '\\\\n');
  return next(s, c);
}\`));`)}`;

function imported(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', HOOK, '--import', import.meta.resolve('tsx'), ENTRY, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stderr.matchAll(/^IMPORTED (\S+)$/gm)].map((m) => m[1]!);
}

// Loading BullMQ and ioredis costs ~0.3 s of a ~3 s explain; only queue work should pay it.
test('a local command does not import the queue client; a queue command does', () => {
  for (const cmd of ['explain', 'inspect', 'models']) assert.deepEqual(imported([cmd, '--help']), [], cmd);
  assert.ok(imported(['worker', '--help']).includes('bullmq'), 'the hook sees BullMQ when it is imported');
});
