import { buildGradient } from '../autodiff/index.js';
import { inferShapes } from '../onnx/shapes.js';
import { UsageError } from '../errors/usage-error.js';
import { PIXELS, type EngineCore as Engine } from './engine-core.js';

export interface GradientResult {
  /** Model outputs [n, K]. */
  logits: Float32Array;
  /** d(target logit)/d(tensor), [n, ...dims] of the tensor. */
  grad: Float32Array;
  /** The tensor's own values (when `layer` is set), same layout as `grad`. */
  activation: Float32Array | undefined;
  dims: number[];
}

const TARGET = 'nm_target';
const GRAD = 'nm_grad';

/**
 * Gradient of each image's target logit with respect to its pixels ([0,1] space, before the
 * model's normalisation) or to an intermediate tensor `layer` (Grad-CAM), n images per run.
 */
export async function targetGradients(engine: Engine, pixels: Float32Array, n: number, targets: readonly number[], layer?: string): Promise<GradientResult> {
  const { outputName, numClasses } = engine.classifier;
  const s = await engine.session(`grad:${layer ?? 'input'}`, String(n), async () => {
    await engine.prepare(n);
    const b = engine.pixelGraph(n);
    const onehot = b.input(TARGET, 'float32', [n, numClasses]);
    const loss = b.add('ReduceSum', [b.add('Mul', [outputName, onehot])], { keepdims: 0 });
    b.output(outputName, 'float32', [n, numClasses]);
    const wrt = layer ?? PIXELS;
    const dims = inferShapes(b.build()).get(wrt)?.dims;
    if (!dims) throw new UsageError(`${engine.classifier.name}: no tensor named '${wrt}' in the model`);
    if (layer) b.output(layer, 'float32', dims);
    return buildGradient(b.build('gradients'), { of: loss, wrt: [wrt], names: { [wrt]: GRAD }, webgpu: engine.runtime.ep === 'webgpu' }).graph;
  });
  const onehot = new Float32Array(n * numClasses);
  targets.forEach((t, k) => (onehot[k * numClasses + t] = 1));
  const out = await s.run({ ...engine.pixelFeed(pixels, n), [TARGET]: { data: onehot, dims: [n, numClasses] } });
  const grad = out[GRAD]!;
  return { logits: out[outputName]!.data, grad: grad.data, activation: layer ? out[layer]!.data : undefined, dims: grad.dims };
}

/**
 * The default Grad-CAM layer: the model's last 4-D tensor with a spatial extent above 1×1.
 * Shapes come from the graph fed at the classifier's input size, so a model whose height and
 * width are dynamic gets them from the image size.
 */
export function lastSpatialLayer(engine: Engine): string {
  const shapes = inferShapes(engine.pixelGraph(1).build());
  const nodes = engine.graph(1).nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    for (const o of nodes[i]!.outputs) {
      const d = shapes.get(o)?.dims;
      if (d && d.length === 4 && (d[2]! > 1 || d[3]! > 1)) return o;
    }
  }
  throw new UsageError(`grad-cam needs a convolutional feature map, and ${engine.classifier.name} has no 4-D tensor larger than 1×1: use another method`);
}
