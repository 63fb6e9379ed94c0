import type { Redis } from 'ioredis';
import type { PairJobResult } from './jobs.js';

/**
 * A run's finish statistics in one small hash, `neuromask:run:<id>`: the latest finish time and
 * the longest event-loop stall any worker reported. `status` reads it instead of every finished
 * job's return value (a run of 100 000 pairs would otherwise be 100 000 values per call).
 */
export const statsKey = (run: string): string => `neuromask:run:${run}`;

/** Abandoned runs' hashes (a run submitted with --detach and never collected) expire after 30 days. */
const TTL_S = 30 * 24 * 3600;

const RECORD = `
local t = tonumber(ARGV[1]); local l = tonumber(ARGV[2])
if t > tonumber(redis.call('HGET', KEYS[1], 'last') or '0') then redis.call('HSET', KEYS[1], 'last', ARGV[1]) end
if l > tonumber(redis.call('HGET', KEYS[1], 'loop') or '0') then redis.call('HSET', KEYS[1], 'loop', ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** One round trip per finished pair, atomic (maxima of concurrent workers' values). */
export async function recordFinished(r: Redis, run: string, p: PairJobResult): Promise<void> {
  await r.eval(RECORD, 1, statsKey(run), String(p.finishedAt), String(p.loopMaxMs), String(TTL_S));
}

export async function readStats(r: Redis, run: string): Promise<{ lastFinished: number | null; loopMaxMs: number }> {
  const [last, loop] = await r.hmget(statsKey(run), 'last', 'loop');
  return { lastFinished: last ? Number(last) : null, loopMaxMs: loop ? Number(loop) : 0 };
}
