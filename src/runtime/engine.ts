import { prepareGraph } from '../onnx/rewrites/index.js';
import { writeModel } from '../onnx/write.js';
import type { Graph } from '../onnx/types.js';
import type { Classifier } from '../models/classifier.js';
import { normaliseInto } from '../methods/neuromask/step-graph.js';
import { GraphBuilder } from '../onnx/builder.js';
import { SessionCache, type RuntimeOptions, type Session } from './session.js';

/**
 * A classifier bound to ONNX Runtime: prepared (float32, static-batch) graphs per batch size and
 * the sessions built from them. Methods ask it for sessions instead of managing their own.
 */
export class Engine {
  private readonly prepared = new Map<number, Graph>();
  readonly sessions = new SessionCache(8);

  constructor(
    readonly classifier: Classifier,
    readonly runtime: RuntimeOptions,
  ) {}

  /** The classifier's graph for `batch` images, dequantized and folded, ready for autodiff. */
  graph(batch: number): Graph {
    let g = this.prepared.get(batch);
    if (!g) {
      g = prepareGraph(this.classifier.graph, { batch });
      this.prepared.set(batch, g);
    }
    return g;
  }

  /** A session for a graph derived from the classifier, cached under `key`. */
  session(key: string, batch: string, build: () => Graph): Promise<Session> {
    return this.sessions.get({ ...this.runtime, model: `${this.classifier.name}:${key}`, batch }, () => writeModel(build()));
  }

  /** Logits (or probabilities) for N images in [0,1] pixel space, CHW each, concatenated. */
  async forward(pixels: Float32Array, n: number): Promise<Float32Array> {
    const { spec, inputName, outputName } = this.classifier;
    const c = spec.channels === 'grey' ? 1 : 3;
    const [h, w] = spec.inputSize;
    const s = await this.session('forward', String(n), () => {
      const b = new GraphBuilder(this.graph(n));
      const nodes = b.nodes.splice(0);
      b.inputs.splice(0);
      const x = b.input('nm_pixels', 'float32', [n, c, h, w]);
      normaliseInto(b, x, spec, c, inputName);
      b.nodes.push(...nodes);
      b.outputs.splice(0);
      b.output(outputName, 'float32', [n, this.classifier.numClasses]);
      return b.build('forward');
    });
    const out = await s.run({ nm_pixels: { data: pixels, dims: [n, c, h, w] } });
    return out[outputName]!.data;
  }

  async release(): Promise<void> {
    await this.sessions.releaseAll();
  }
}
