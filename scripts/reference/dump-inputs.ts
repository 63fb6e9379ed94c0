// Writes what the reference implementations (captum, TorchRay) need to run on exactly our model
// and input: the prepared float graph (int8 dequantized, BatchNorm folded) as ONNX, and per
// photo the preprocessed tensor the model sees (normalised, NCHW) and the [0, 1] pixels.
//   node --import tsx scripts/reference/dump-inputs.ts <model> <out-dir> <image>...
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadImage } from '../../src/image/load.js';
import { encodeNpy } from '../../src/io/npy.js';
import { loadClassifier } from '../../src/models/classifier.js';
import { writeModel } from '../../src/onnx/write.js';
import { Engine } from '../../src/runtime/engine.js';
import { lastSpatialLayer } from '../../src/runtime/gradients.js';
import { argmax } from '../../src/util/softmax.js';

async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

const [model, out, ...images] = process.argv.slice(2);
if (!model || !out || images.length === 0) {
  console.error('usage: dump-inputs.ts <model> <out-dir> <image>...');
  process.exit(2);
}
const c = await loadClassifier(model);
const engine = new Engine(c, { ep: 'cpu', threads: 2 });
const C = engine.channels;
const [H, W] = c.spec.inputSize;
await mkdir(out, { recursive: true });
await atomicWrite(join(out, 'model.onnx'), writeModel(engine.graph(1)));
const mean = Array.from({ length: C }, (_, i) => c.spec.mean[i] ?? c.spec.mean[0]!);
const std = Array.from({ length: C }, (_, i) => c.spec.std[i] ?? c.spec.std[0]!);
const photos: { name: string; target: number; label: string | undefined }[] = [];
for (const path of images) {
  const name = basename(path, extname(path));
  const img = await loadImage(path, c.spec);
  const x = img.pixels.map((v, i) => (v - mean[Math.floor(i / (H * W))]!) / std[Math.floor(i / (H * W))]!);
  await atomicWrite(join(out, `${name}.pixels.npy`), encodeNpy(img.pixels, [C, H, W]));
  await atomicWrite(join(out, `${name}.input.npy`), encodeNpy(x, [1, C, H, W]));
  const target = argmax(await engine.forward(img.pixels, 1));
  photos.push({ name, target, label: c.labels?.[target] });
}
const meta = { model, input: c.inputName, output: c.outputName, layout: c.spec.layout, mean, std, size: [H, W], channels: C, numClasses: c.numClasses, gradCamLayer: lastSpatialLayer(engine), photos };
await atomicWrite(join(out, 'meta.json'), JSON.stringify(meta, null, 2));
await engine.release();
console.log(JSON.stringify(meta));
