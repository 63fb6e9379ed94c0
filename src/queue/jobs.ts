import type { Box } from '../eval/manifest.js';
import type { ResultKey } from './store.js';

/** One child job: a pair to compute, everything a worker needs besides the store. */
export interface PairJobData {
  run: string;
  /** The model as the submitter named it: how a worker finds it when the store holds no copy. */
  modelRef: string;
  /** The image's id in the run, and its file on the submitter (for messages). */
  image: string;
  source: string;
  key: ResultKey;
}

/** What a worker returns for a finished pair. */
export interface PairJobResult {
  /** The result was already in the store (another run or a duplicate delivery computed it). */
  cached: boolean;
  seconds: number;
  /** Longest event-loop stall seen during the job, ms: must stay far below the lock duration. */
  loopMaxMs: number;
  finishedAt: number;
}

/** The run's parent job. */
export interface RunJobData {
  run: string;
  title: string;
  created: number;
  /** Pairs in the run, and how many of them were queued (the rest were already in the store). */
  pairs: number;
  queued: number;
}

/** One image as the submitter plans it. */
export interface PlannedItem {
  id: string;
  source: string;
  sha: string;
  target?: number | string;
  boxes?: Box[];
}
