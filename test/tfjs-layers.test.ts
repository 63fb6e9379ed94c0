import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { UnsupportedOpError } from '../src/errors/unsupported-op-error.js';
import { importLayersModel } from '../src/tfjs/layers/import.js';
import { assertClose, assertParity, layersArtifacts, onnxOutputs, randomizeWeights, softmaxRows, tf, tfjsOutputs, tfReady, twoInputs } from './helpers/tfjs.js';

// Every row builds a small TF.js Layers model with seeded weights, saves it in memory, imports
// it, and compares ONNX Runtime against TF.js itself on a batch of [noise, photo]: the logits to
// 1e-4 and the input gradient of logit CLS (our autodiff vs tf.grad) to 1e-3. Unless a row says
// otherwise the layer under test is followed by Flatten → Dense(K), so every output position and
// channel reaches the logits with its own weight: a wrong NHWC/NCHW permutation, padding side or
// channel order changes them.

const CLS = 1;
const K = 5;
const L = tf.layers;
type Sym = tf.SymbolicTensor;
type Topology = Record<string, unknown>;

interface Row {
  name: string;
  /** Input H, W, C (default 12×12×3: SAME with stride 2 and an odd window pads one side only). */
  input?: [number, number, number];
  /** Sequential body… */
  layers?: () => tf.layers.Layer[];
  /** …or functional body (merge layers). */
  functional?: (x: Sym) => Sym;
  /** Weight gain, so clipping activations reach their caps. */
  gain?: number;
  /** Edit the saved Keras config (for options TF.js's own layers do not have). */
  patch?: (topology: Topology) => void;
  /** TF.js computation the import must equal, when it is not the model itself (see the ReLU rows). */
  reference?: (model: tf.LayersModel) => (x: tf.Tensor) => tf.Tensor;
  /**
   * Why TF.js cannot differentiate this row (its gradient kernel is missing or wrong there); the
   * gradient reference is then central differences of TF.js's forward, exact as such rows are affine in x.
   */
  differences?: string;
  /** The model ends in softmax: the import must strip it and output the pre-softmax logits. */
  stripped?: boolean;
  /** Gradient rules that land with the `compat` branch: while one is missing, the gradient check is TODO. */
  compat?: string[];
  /** The import must fail with UnsupportedOpError whose message matches all of these. */
  unsupported?: (model: tf.LayersModel) => RegExp[];
}

/** Call a layer on symbolic tensors. */
const on = (l: tf.layers.Layer, x: Sym | Sym[]): Sym => l.apply(x) as Sym;
const conv = (filters = 4, extra: Record<string, unknown> = {}) => L.conv2d({ filters, kernelSize: 3, padding: 'same', ...extra });
const act = (activation: string, gain?: number): Row => ({ name: `Activation ${activation}`, layers: () => [conv(), L.activation({ activation: activation as 'relu' })], ...(gain ? { gain } : {}) });

/** Set options on the saved config of the first layer of a class. */
const setConfig = (className: string, values: Record<string, unknown>) => (t: Topology): void => {
  const layers = (t['config'] as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
  const l = layers.find((x) => x.class_name === className);
  assert.ok(l, `no ${className} layer in the saved topology`);
  Object.assign(l.config, values);
};

/**
 * Rewrite a saved Keras 2 functional topology the way Keras 3 writes it: each call's inputs as
 * `{args: [{class_name: '__keras_tensor__', config: {keras_history: [layer, node, tensor]}}]}`,
 * a merge layer's inputs as one list argument, and `batch_shape` instead of `batch_input_shape`.
 */
function toKeras3(t: Topology): void {
  const layers = (t['config'] as { layers: { class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[][][] }[] }).layers;
  for (const l of layers) {
    if ('batch_input_shape' in l.config) {
      l.config['batch_shape'] = l.config['batch_input_shape'];
      delete l.config['batch_input_shape'];
    }
    const tensor = (r: unknown[]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [r[0], r[1], r[2]] } });
    (l as { inbound_nodes: unknown[] }).inbound_nodes = l.inbound_nodes.map((call) => ({ args: call.length === 1 ? [tensor(call[0]!)] : [call.map(tensor)], kwargs: {} }));
  }
}

/** Keras ReLU as its documentation defines it, in TF.js ops: x ≥ t ? min(x, max) : slope·(x − t). */
const kerasRelu = (o: { max?: number; slope?: number; threshold?: number }) => (x: tf.Tensor): tf.Tensor => {
  const t = o.threshold ?? 0;
  const above = o.max === undefined ? x : tf.minimum(x, o.max);
  return tf.where(tf.greaterEqual(x, t), above, tf.mul(tf.sub(x, t), o.slope ?? 0));
};

/** The Sequential model applied layer by layer, with its layer of class `className` replaced by `f`. */
const replacing = (className: string, f: (x: tf.Tensor) => tf.Tensor) => (model: tf.LayersModel) => (x: tf.Tensor): tf.Tensor =>
  model.layers.reduce((h, l) => (l.getClassName() === 'InputLayer' ? h : l.getClassName() === className ? f(h) : (l.apply(h) as tf.Tensor)), x);

const reluRow = (name: string, o: { max?: number; slope?: number; threshold?: number }): Row => ({
  name,
  layers: () => [conv(), L.reLU(o.max === undefined ? {} : { maxValue: o.max })],
  gain: 3,
  patch: setConfig('ReLU', { negative_slope: o.slope ?? 0, threshold: o.threshold ?? 0 }),
  reference: replacing('ReLU', kerasRelu(o)),
});

const ROWS: Row[] = [
  { name: 'InputLayer (explicit, Sequential)', layers: () => [L.inputLayer({ inputShape: [12, 12, 3] }), conv()] },
  { name: 'Conv2D valid 3×3 with bias', layers: () => [conv(4, { padding: 'valid' })] },
  { name: 'Conv2D same, stride 2 (12 → 6: pad bottom/right only), relu', layers: () => [conv(4, { strides: 2, activation: 'relu' })] },
  { name: 'Conv2D same, 2×2 kernel stride 1 (odd total padding)', layers: () => [conv(4, { kernelSize: 2 })] },
  { name: 'Conv2D non-square 3×2 kernel, strides [2, 1], valid', input: [11, 9, 3], layers: () => [conv(4, { kernelSize: [3, 2], strides: [2, 1], padding: 'valid' })] },
  { name: 'Conv2D dilation 2, same', layers: () => [conv(4, { dilationRate: 2 })], differences: 'tf.grad: dilation rates greater than 1 are not yet supported in gradients' },
  { name: 'Conv2D without bias, tanh', layers: () => [conv(4, { useBias: false, activation: 'tanh' })] },
  { name: 'DepthwiseConv2D multiplier 1, valid', input: [12, 12, 4], layers: () => [L.depthwiseConv2d({ kernelSize: 3, padding: 'valid' })] },
  { name: 'DepthwiseConv2D multiplier 2, same, stride 2', input: [11, 11, 3], layers: () => [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })] },
  { name: 'DepthwiseConv2D multiplier 2 without bias, relu6', layers: () => [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, activation: 'relu6' })], gain: 8 },
  { name: 'SeparableConv2D multiplier 2, same, relu', layers: () => [L.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' })] },
  { name: 'SeparableConv2D valid, stride 2, no bias', input: [11, 11, 3], layers: () => [L.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', useBias: false })] },
  { name: 'Dense on rank 2 (hidden relu layer)', layers: () => [L.flatten(), L.dense({ units: 8, activation: 'relu' })] },
  { name: 'Dense on a rank-4 tensor (acts on channels)', layers: () => [conv(), L.dense({ units: 6 })] },
  { name: 'BatchNormalization (random moving stats)', layers: () => [conv(), L.batchNormalization({ epsilon: 0.01 })] },
  { name: 'BatchNormalization scale: false', layers: () => [conv(), L.batchNormalization({ scale: false })], differences: 'tf.grad crashes without gamma' },
  { name: 'BatchNormalization center: false', layers: () => [conv(), L.batchNormalization({ center: false })], differences: 'tf.grad crashes without beta' },
  act('relu'),
  act('relu6', 8),
  act('sigmoid', 3),
  { ...act('softmax'), name: 'Activation softmax inside the network (over channels of a rank-4 tensor)' },
  act('tanh'),
  { ...act('elu', 2), compat: ['Elu'] },
  { ...act('selu', 2), compat: ['Selu'] },
  { ...act('softplus', 2), compat: ['Softplus'] },
  act('swish', 3),
  { ...act('swish', 3), name: 'Activation silu (Keras 3 name, TF.js swish as reference)', patch: setConfig('Activation', { activation: 'silu' }) },
  act('hardSigmoid', 5),
  act('linear'),
  { name: 'ReLU', layers: () => [conv(), L.reLU()] },
  { name: 'ReLU max_value 6', layers: () => [conv(), L.reLU({ maxValue: 6 })], gain: 8 },
  reluRow('ReLU negative_slope 0.1 (Keras semantics in TF.js ops)', { slope: 0.1 }),
  reluRow('ReLU threshold 0.5 (Keras semantics in TF.js ops)', { threshold: 0.5 }),
  reluRow('ReLU max_value 2, negative_slope 0.1, threshold 0.5 (Keras semantics in TF.js ops)', { max: 2, slope: 0.1, threshold: 0.5 }),
  { name: 'LeakyReLU alpha 0.3', layers: () => [conv(), L.leakyReLU({ alpha: 0.3 })] },
  { name: 'ELU layer', layers: () => [conv(), L.elu()], gain: 2, compat: ['Elu'] },
  {
    // TF.js's ELU layer refuses alpha ≠ 1; the reference is ELU's definition in TF.js ops.
    name: 'ELU layer alpha 0.7 (definition in TF.js ops)',
    layers: () => [conv(), L.elu()],
    gain: 2,
    patch: setConfig('ELU', { alpha: 0.7 }),
    reference: replacing('ELU', (x) => tf.where(tf.greaterEqual(x, 0), x, tf.mul(tf.expm1(x), 0.7))),
    compat: ['Elu'],
  },
  { name: 'Softmax layer (channel axis of a rank-4 tensor)', layers: () => [conv(), L.softmax({ axis: -1 })], gain: 2 },
  { name: 'ZeroPadding2D asymmetric [[1, 2], [0, 3]]', layers: () => [conv(), L.zeroPadding2d({ padding: [[1, 2], [0, 3]] })] },
  { name: 'MaxPooling2D 2×2 valid', layers: () => [conv(), L.maxPooling2d({ poolSize: 2 })] },
  { name: 'MaxPooling2D 3×3 stride 2 same on 12×12 (pads bottom/right)', layers: () => [conv(), L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })] },
  { name: 'MaxPooling2D 2×2 same on 11×11', input: [11, 11, 3], layers: () => [conv(), L.maxPooling2d({ poolSize: 2, padding: 'same' })] },
  { name: 'AveragePooling2D 3×3 stride 2 valid on 11×11', input: [11, 11, 3], layers: () => [conv(), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'valid' })] },
  { name: 'AveragePooling2D 2×2 same on 11×11 (pad excluded from the mean)', input: [11, 11, 3], layers: () => [conv(), L.averagePooling2d({ poolSize: 2, padding: 'same' })], differences: 'AvgPoolGrad divides by the full window at padded borders, unlike its forward' },
  { name: 'AveragePooling2D 3×3 stride 2 same on 12×12', layers: () => [conv(), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })], differences: 'AvgPoolGrad divides by the full window at padded borders, unlike its forward' },
  { name: 'GlobalAveragePooling2D', layers: () => [conv(6), L.globalAveragePooling2d({})] },
  { name: 'GlobalMaxPooling2D', layers: () => [conv(6), L.globalMaxPooling2d({})] },
  { name: 'Flatten after a 12×12×4 tensor (NHWC element order)', layers: () => [conv(4), L.flatten()] },
  { name: 'Reshape 12×12×4 → 6×24×4, then Conv2D', layers: () => [conv(4), L.reshape({ targetShape: [6, 24, 4] }), conv(3)] },
  { name: 'Reshape 12×12×4 → 144×4 (rank 3), then Dense', layers: () => [conv(4), L.reshape({ targetShape: [144, 4] }), L.dense({ units: 2 })] },
  { name: 'Dropout (identity at inference)', layers: () => [conv(), L.dropout({ rate: 0.5 })] },
  { name: 'Add (functional)', functional: (x) => on(L.add(), [on(conv(), x), on(conv(), x)]) },
  {
    name: 'functional model written in Keras 3\'s format (call args as keras tensors, batch_shape)',
    functional: (x) => on(L.add(), [on(conv(), x), on(conv(3, { kernelSize: 1, filters: 4 }), on(conv(2), x))]),
    patch: toKeras3,
  },
  { name: 'Multiply', functional: (x) => on(L.multiply(), [on(conv(), x), on(conv(), x)]) },
  { name: 'Average', functional: (x) => on(L.average(), [on(conv(), x), on(conv(), x), on(conv(), x)]) },
  { name: 'Maximum', functional: (x) => on(L.maximum(), [on(conv(), x), on(conv(), x)]), compat: ['Max'] },
  { name: 'Concatenate on channels (axis -1)', functional: (x) => on(L.concatenate({ axis: -1 }), [on(conv(2), x), on(conv(3), x)]) },
  { name: 'Concatenate on height (axis 1): 12×12 and 6×12', functional: (x) => on(L.concatenate({ axis: 1 }), [on(conv(2), x), on(conv(2, { strides: [2, 1] }), x)]) },
  { name: 'Concatenate on width (axis 2): 12×12 and 12×6', functional: (x) => on(L.concatenate({ axis: 2 }), [on(conv(2), x), on(conv(2, { strides: [1, 2] }), x)]) },
  { name: 'UpSampling2D nearest ×2', layers: () => [conv(), L.upSampling2d({ size: [2, 2] })], compat: ['Resize'], differences: 'ResizeNearestNeighborGrad disagrees with central differences of its own forward' },
  { name: 'UpSampling2D bilinear ×[2, 3]', input: [6, 5, 3], layers: () => [conv(), L.upSampling2d({ size: [2, 3], interpolation: 'bilinear' })], compat: ['Resize'], differences: 'ResizeBilinearGrad swaps H and W when they differ' },
  { name: 'Rescaling 1/127.5, offset −1', layers: () => [L.rescaling({ scale: 1 / 127.5, offset: -1 }), conv()], gain: 40 },
  { name: 'Activation softmax at the end (stripped: output is the logits)', layers: () => [conv(), L.flatten(), L.dense({ units: K }), L.activation({ activation: 'softmax' })], stripped: true },
  {
    // Transfer learning's usual shape: Sequential([pretrained functional base, head]).
    name: 'nested model: a functional base (two branches, Add) as the first layer of a Sequential',
    layers: () => {
      const i = tf.input({ shape: [12, 12, 3] });
      const base = tf.model({ inputs: i, outputs: on(L.add(), [on(conv(4, { strides: 2 }), i), on(conv(4, { strides: 2, activation: 'relu' }), i)]), name: 'base' });
      return [base as unknown as tf.layers.Layer, L.globalAveragePooling2d({})];
    },
  },
  {
    name: 'LSTM → UnsupportedOpError naming the layer',
    input: [5, 3, 1],
    layers: () => [L.reshape({ targetShape: [5, 3] }), L.lstm({ units: 4 })],
    unsupported: (m) => [/LSTM/, new RegExp(`"${m.layers.find((l) => l.getClassName() === 'LSTM')!.name}"`)],
  },
];

/** The row's model with seeded weights; unless it ends in its own softmax head, + [Flatten] + Dense(K). */
function buildModel(row: Row, seed: number): tf.LayersModel {
  const shape = row.input ?? [12, 12, 3];
  let model: tf.LayersModel;
  if (row.functional) {
    const x = tf.input({ shape });
    let body = row.functional(x);
    if (body.shape.length > 2) body = on(L.flatten(), body);
    model = tf.model({ inputs: x, outputs: on(L.dense({ units: K }), body) });
  } else {
    const seq = tf.sequential();
    const layers = row.layers!();
    if (layers[0]?.getClassName() !== 'InputLayer') seq.add(L.inputLayer({ inputShape: shape }));
    layers.forEach((l) => seq.add(l));
    if (!row.stripped) {
      if (seq.outputs[0]!.shape.length > 2) seq.add(L.flatten());
      seq.add(L.dense({ units: K }));
    }
    model = seq;
  }
  randomizeWeights(model, seed, row.gain);
  return model;
}

before(tfReady);

ROWS.forEach((row, i) => {
  test(`Layers ${row.name}`, async (t) => {
    const model = buildModel(row, 1000 + 17 * i);
    const artifacts = await layersArtifacts(model, row.patch);
    if (row.unsupported) {
      assert.throws(() => importLayersModel(artifacts), (e: unknown) => {
        assert.ok(e instanceof UnsupportedOpError, `expected UnsupportedOpError, got ${String(e)}`);
        for (const re of row.unsupported!(model)) assert.match(e.message, re);
        return true;
      });
      return;
    }
    const imported = importLayersModel(artifacts);
    assert.equal(imported.strippedSoftmax, row.stripped === true);
    const [h, w, c] = row.input ?? [12, 12, 3];
    assert.deepEqual(imported.inputShape, [null, h, w, c]);
    const { x, dims } = await twoInputs(h, w, c);
    let f: (x: tf.Tensor) => tf.Tensor = (v) => model.apply(v) as tf.Tensor;
    if (row.reference) f = row.reference(model);
    if (row.stripped) {
      const pre = tf.model({ inputs: model.inputs, outputs: model.layers[model.layers.length - 2]!.output as Sym });
      f = (v) => pre.apply(v) as tf.Tensor;
    }
    const ref = tfjsOutputs(f, x, dims, CLS, row.differences ? 'differences' : 'tape');
    const ours = await onnxOutputs(imported.graph, x, dims, CLS);
    if (row.stripped) {
      // The whole model's probabilities are the softmax of the imported logits.
      const probs = tf.tidy(() => (model.predict(tf.tensor(x, dims)) as tf.Tensor).dataSync() as Float32Array);
      assertClose(softmaxRows(ours.logits, K), probs, 1e-4, 'softmax of the logits');
    }
    const pending = assertParity(ours, ref, row.name, row.compat);
    if (pending) t.todo(`forward checked; the gradient needs the ${pending} rule from the compat branch`);
  });
});
