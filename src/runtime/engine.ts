import type { Graph } from '../onnx/types.js';
import type { Classifier } from '../models/classifier.js';
import { nodePlatform } from '../platform/node.js';
import { EngineCore, type EngineControl } from './engine-core.js';
import { cacheKey, GraphCache, graphFingerprint } from './graph-cache.js';
import { createSession, type RuntimeOptions, type Session } from './session.js';

export { PIXELS, type EngineControl, type EngineStage } from './engine-core.js';

/**
 * The engine on onnxruntime-node, with ORT's optimised graphs kept across processes in a
 * GraphCache (CPU provider). The browser's engine (neuromask/web) is the same EngineCore on
 * onnxruntime-web, without the cache.
 */
export class Engine extends EngineCore {
  private disk: Promise<GraphCache | undefined> | undefined;
  private fingerprint: string | undefined;

  constructor(classifier: Classifier, runtime: RuntimeOptions, control: EngineControl = {}) {
    super(classifier, runtime, control, nodePlatform);
  }

  override sibling(classifier: Classifier): Engine {
    return new Engine(classifier, this.runtime, this.control);
  }

  /** The graph cache this engine uses, if any (CPU provider only: other providers' optimised graphs are device-specific). */
  graphCache(): Promise<GraphCache | undefined> {
    const c = this.runtime.cache;
    this.disk ??= this.runtime.ep !== 'cpu' || c === false ? Promise.resolve(undefined) : c !== undefined ? Promise.resolve(new GraphCache(c)) : GraphCache.fromEnv();
    return this.disk;
  }

  /** Cache key of one of this classifier's graphs. */
  cacheKey(key: string, batch: string): string {
    const { graph, spec, inputName, outputName, outputKind } = this.classifier;
    this.fingerprint ??= graphFingerprint(graph);
    return cacheKey({ model: this.fingerprint, spec, inputName, outputName, outputKind, key, batch, ep: this.runtime.ep });
  }

  /** A session from the graph cache, else built (and its optimised graph cached for next time). */
  protected override async create(key: string, batch: string, build: () => Graph | Promise<Graph>, opts: RuntimeOptions): Promise<Session> {
    const cache = await this.graphCache();
    if (!cache) return super.create(key, batch, build, opts);
    const id = this.cacheKey(key, batch);
    const hit = await cache.load(id);
    if (hit) {
      await this.checkpoint();
      this.control.onStage?.({ stage: 'session', what: key, batch });
      try {
        return await createSession(hit, opts, { preOptimized: true });
      } catch {
        await cache.remove(id); // unreadable entry (e.g. written by a killed process): rebuild it
      }
    }
    const tmp = await cache.tempPath().catch(() => undefined);
    const session = await super.create(key, batch, build, opts, tmp ? { saveOptimized: tmp } : {});
    // A cache that cannot be written costs speed, not the run.
    if (tmp) await cache.commit(id, tmp).catch(() => undefined);
    return session;
  }
}
