import { prepareGraph, prepareSteps } from '../onnx/rewrites/index.js';
import { writeModel } from '../onnx/write.js';
import { explicitConvAttrs } from '../onnx/rewrites/explicit-conv.js';
import type { Graph } from '../onnx/types.js';
import type { Classifier } from '../models/classifier.js';
import { normaliseInto } from '../methods/neuromask/step-graph.js';
import { GraphBuilder } from '../onnx/builder.js';
import { stopPoint } from '../util/stop-point.js';
import type { Platform } from '../platform/types.js';
import { createSessionOn, SessionCache, type FeedTensor, type RuntimeOptions, type Session } from './session-core.js';

/** What an engine reports while it prepares graphs and sessions (seconds each for a large model). */
export interface EngineStage {
  stage: 'prepare' | 'session';
  /** The graph's cache key ('forward', 'grad:input', a method's key) or, for 'prepare', the model's name. */
  what: string;
  batch: string;
}

export interface EngineControl {
  /**
   * Checked between the stages of preparing a graph and creating its session; a stage that has
   * begun (a graph rewrite, ONNX Runtime's session creation) runs to its end, which is the
   * longest an abort waits.
   */
  signal?: AbortSignal;
  onStage?: (s: EngineStage) => void;
}

/** Name of the pixel input of graphs built with `Engine.pixelGraph`. */
export const PIXELS = 'nm_pixels';

/**
 * A classifier bound to ONNX Runtime on one platform (Node or the browser): prepared (float32,
 * static-batch) graphs per batch size and the sessions built from them. Methods ask it for
 * sessions instead of managing their own. Node's `Engine` (runtime/engine.ts) adds the graph cache.
 */
export class EngineCore {
  private readonly prepared = new Map<number, Graph>();
  readonly sessions: SessionCache;

  constructor(
    readonly classifier: Classifier,
    readonly runtime: RuntimeOptions,
    readonly control: EngineControl = {},
    readonly platform: Platform,
  ) {
    this.sessions = new SessionCache(platform, 8);
  }

  /** An engine like this one (platform, runtime, control) for another classifier, e.g. a randomised copy. */
  sibling(classifier: Classifier): EngineCore {
    return new EngineCore(classifier, this.runtime, this.control, this.platform);
  }

  /** Throw a CancelledError if the run was aborted, after letting a pending signal handler run. */
  checkpoint(): Promise<void> {
    return stopPoint(this.control.signal);
  }

  /** `graph(batch)` one rewrite at a time, checking the signal in between (dequantizing alone takes ~0.5 s for MobileNetV2). */
  async prepare(batch: number): Promise<Graph> {
    const done = this.prepared.get(batch);
    if (done) return done;
    this.control.onStage?.({ stage: 'prepare', what: this.classifier.name, batch: String(batch) });
    let g = this.classifier.graph;
    for (const step of prepareSteps(batch)) {
      await this.checkpoint();
      g = step(g);
    }
    await this.checkpoint();
    const raced = this.prepared.get(batch);
    if (raced) return raced;
    this.prepared.set(batch, g);
    return g;
  }

  /** The classifier's graph for `batch` images, dequantized and folded, ready for autodiff. */
  graph(batch: number): Graph {
    let g = this.prepared.get(batch);
    if (!g) {
      g = prepareGraph(this.classifier.graph, { batch });
      this.prepared.set(batch, g);
    }
    return g;
  }

  /**
   * A session for a graph derived from the classifier, cached under `key` (in memory, and on disk
   * through the graph cache). Builders that need the prepared model await `prepare(batch)` first,
   * so that step can be interrupted too.
   */
  async session(key: string, batch: string, build: () => Graph | Promise<Graph>): Promise<Session> {
    const s = await this.sessions.getOrCreate({ ...this.runtime, model: `${this.classifier.name}:${key}`, batch }, (opts) => this.create(key, batch, build, opts));
    await this.checkpoint();
    return s;
  }

  /** Serialise the graph `build` makes and start a session on it; Node's Engine puts a graph cache in between. */
  protected async create(key: string, batch: string, build: () => Graph | Promise<Graph>, opts: RuntimeOptions, how: { saveOptimized?: string } = {}): Promise<Session> {
    await this.checkpoint();
    const graph = await build();
    await this.checkpoint();
    const b = writeModel(explicitConvAttrs(graph));
    await this.checkpoint();
    this.control.onStage?.({ stage: 'session', what: key, batch });
    return createSessionOn(this.platform, b, opts, how);
  }

  /** A builder holding `nm_pixels` [n,C,H,W] in [0,1] → the model's normalisation → the model. */
  pixelGraph(n: number): GraphBuilder {
    const { spec, inputName } = this.classifier;
    const [h, w] = spec.inputSize;
    const { b, appendModel } = GraphBuilder.aroundModel(this.graph(n));
    const x = b.input(PIXELS, 'float32', [n, this.channels, h, w]);
    normaliseInto(b, x, spec, this.channels, inputName);
    appendModel();
    return b;
  }

  get channels(): number {
    return this.classifier.spec.channels === 'grey' ? 1 : 3;
  }

  /** Feed for N images in [0,1] pixel space, CHW each, concatenated. */
  pixelFeed(pixels: Float32Array, n: number): Record<string, FeedTensor> {
    const [h, w] = this.classifier.spec.inputSize;
    return { [PIXELS]: { data: pixels, dims: [n, this.channels, h, w] } };
  }

  /** Logits (or probabilities) for N images in [0,1] pixel space, CHW each, concatenated. */
  async forward(pixels: Float32Array, n: number): Promise<Float32Array> {
    const { outputName, numClasses } = this.classifier;
    const s = await this.session('forward', String(n), async () => {
      await this.prepare(n);
      const b = this.pixelGraph(n);
      b.output(outputName, 'float32', [n, numClasses]);
      return b.build('forward');
    });
    return (await s.run(this.pixelFeed(pixels, n)))[outputName]!.data;
  }

  async release(): Promise<void> {
    await this.sessions.releaseAll();
  }
}
