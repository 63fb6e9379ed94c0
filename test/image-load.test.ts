import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImageError } from '../src/errors/image-error.js';
import { imageToLayout, loadImage } from '../src/image/load.js';
import type { PreprocessSpec } from '../src/models/spec.js';

const PHOTO = new URL('../../shared/images/dog.jpg', import.meta.url).pathname;

function spec(over: Partial<PreprocessSpec>): PreprocessSpec {
  return { inputSize: [224, 224], resize: 'center-crop', channels: 'rgb', layout: 'nchw', mean: [0], std: [1], ...over };
}

/** 40 wide x 20 high: left half red, right half blue. */
async function redBlue(format: 'png' | 'jpeg' = 'png', orientation?: number): Promise<Buffer> {
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  }
  let img = sharp(raw, { raw: { width: 40, height: 20, channels: 3 } });
  if (orientation !== undefined) img = img.withMetadata({ orientation });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 100 }).toBuffer();
}

/** RGB at (row, col) of a CHW [0,1] image, back in 0..255. */
function rgbAt(px: Float32Array, h: number, w: number, row: number, col: number): number[] {
  return [0, 1, 2].map((c) => Math.round(px[c * h * w + row * w + col]! * 255));
}

describe('loadImage on a real photo', () => {
  it('centre-crops to 224 like an independent sharp resize + extract', async () => {
    const img = await loadImage(PHOTO, spec({}));
    assert.equal(img.height, 224);
    assert.equal(img.width, 224);
    assert.equal(img.channels, 3);
    assert.equal(img.pixels.length, 3 * 224 * 224);
    assert.equal(img.display.length, 224 * 224 * 3);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of img.pixels) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(lo >= 0 && hi <= 1 && hi - lo > 0.5, `range ${lo}..${hi}`);

    const meta = await sharp(PHOTO).metadata();
    const { width: ow, height: oh } = meta.autoOrient;
    assert.ok(ow > oh, 'dog.jpg is landscape');
    const newW = Math.floor((ow * 224) / oh);
    const expected = await sharp(PHOTO, { autoOrient: true })
      .resize(newW, 224, { fit: 'fill' })
      .extract({ left: Math.round((newW - 224) / 2), top: 0, width: 224, height: 224 })
      .raw()
      .toBuffer();
    for (const [row, col] of [[0, 0], [100, 37], [223, 223], [112, 112]] as const) {
      const at = (row * 224 + col) * 3;
      const want = [expected[at], expected[at + 1], expected[at + 2]];
      assert.deepEqual(rgbAt(img.pixels, 224, 224, row, col), want, `pixel ${row},${col}`);
      assert.deepEqual([...img.display.subarray(at, at + 3)], want);
    }
  });

  it('honours resizeShorter (torchvision Resize(256) + CenterCrop(224))', async () => {
    const img = await loadImage(PHOTO, spec({ resizeShorter: 256 }));
    const { width: ow, height: oh } = (await sharp(PHOTO).metadata()).autoOrient;
    const newW = Math.floor((ow * 256) / oh);
    assert.equal(newW, 341);
    // torchvision: left = int(round(117 / 2)) = 58, Python rounding half to even.
    const expected = await sharp(PHOTO)
      .resize(newW, 256, { fit: 'fill' })
      .extract({ left: 58, top: 16, width: 224, height: 224 })
      .raw()
      .toBuffer();
    assert.deepEqual(Buffer.from(img.display), expected);
  });

  it('accepts bytes and reports them as <bytes>', async () => {
    const img = await loadImage(await readFile(PHOTO), spec({ inputSize: [32, 32] }));
    assert.equal(img.source, '<bytes>');
    assert.equal(img.pixels.length, 3 * 32 * 32);
  });
});

describe('loadImage geometry and channels', () => {
  it("'pad' keeps the aspect and pads black, centred", async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [40, 40], resize: 'pad' }));
    for (const row of [0, 5, 9, 30, 39]) assert.deepEqual(rgbAt(img.pixels, 40, 40, row, 5), [0, 0, 0], `row ${row}`);
    assert.deepEqual(rgbAt(img.pixels, 40, 40, 20, 5), [255, 0, 0]);
    assert.deepEqual(rgbAt(img.pixels, 40, 40, 20, 35), [0, 0, 255]);
  });

  it("'stretch' ignores the aspect", async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [10, 10], resize: 'stretch' }));
    for (const row of [0, 9]) {
      assert.deepEqual(rgbAt(img.pixels, 10, 10, row, 1), [255, 0, 0]);
      assert.deepEqual(rgbAt(img.pixels, 10, 10, row, 8), [0, 0, 255]);
    }
  });

  it("'center-crop' keeps the middle of a wide image", async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [10, 10] }));
    // 40x20 -> 20x10, crop columns 5..14: the red/blue edge sits in the middle.
    assert.deepEqual(rgbAt(img.pixels, 10, 10, 5, 0), [255, 0, 0]);
    assert.deepEqual(rgbAt(img.pixels, 10, 10, 5, 9), [0, 0, 255]);
  });

  it('bgr swaps the planes but not the display', async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [10, 10], resize: 'stretch', channels: 'bgr' }));
    assert.deepEqual(rgbAt(img.pixels, 10, 10, 5, 1), [0, 0, 255]);
    assert.deepEqual([...img.display.subarray((5 * 10 + 1) * 3, (5 * 10 + 1) * 3 + 3)], [255, 0, 0]);
  });

  it('grey has one channel and a replicated display', async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [10, 10], resize: 'stretch', channels: 'grey' }));
    assert.equal(img.channels, 1);
    assert.equal(img.pixels.length, 100);
    const at = (5 * 10 + 1) * 3;
    const [r, g, b] = img.display.subarray(at, at + 3);
    assert.ok(r === g && g === b && r! > 0 && r! < 255, `grey ${r},${g},${b}`);
    assert.equal(img.pixels[5 * 10 + 1], Math.fround(r! / 255));
  });

  it('flattens alpha on black', async () => {
    const rgba = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } })
      .png()
      .toBuffer();
    const img = await loadImage(rgba, spec({ inputSize: [4, 4], resize: 'stretch' }));
    assert.ok(img.pixels.every((v) => v === 0));
  });

  it('applies the EXIF orientation', async () => {
    // Orientation 6 = rotate 90° clockwise to display: the red left half ends up on top.
    const img = await loadImage(await redBlue('jpeg', 6), spec({ inputSize: [40, 20], resize: 'stretch' }));
    const [r0, , b0] = rgbAt(img.pixels, 40, 20, 5, 10);
    const [r1, , b1] = rgbAt(img.pixels, 40, 20, 35, 10);
    assert.ok(r0! > 200 && b0! < 60, `top ${r0},${b0}`);
    assert.ok(b1! > 200 && r1! < 60, `bottom ${r1},${b1}`);
  });

  it('imageToLayout returns NCHW as is and NHWC interleaved', async () => {
    const img = await loadImage(await redBlue(), spec({ inputSize: [10, 10], resize: 'stretch' }));
    assert.equal(imageToLayout(img, 'nchw'), img.pixels);
    const hwc = imageToLayout(img, 'nhwc');
    assert.deepEqual([...hwc.subarray(0, 3)], [1, 0, 0]);
    assert.deepEqual([...hwc.subarray(hwc.length - 3)], [0, 0, 1]);
  });
});

describe('loadImage errors', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neuromask-image-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing file is an ImageError naming the path', async () => {
    const path = join(dir, 'nope.png');
    await assert.rejects(loadImage(path, spec({})), (err: unknown) => {
      assert.ok(err instanceof ImageError);
      assert.equal(err.source, path);
      assert.match(err.message, /nope\.png: file not found/);
      return true;
    });
  });

  it('garbage and truncated images are ImageErrors', async () => {
    const garbage = join(dir, 'garbage.png');
    await writeFile(garbage, 'this is not an image');
    const truncated = join(dir, 'truncated.jpg');
    const jpeg = await readFile(PHOTO);
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    for (const path of [garbage, truncated]) {
      await assert.rejects(loadImage(path, spec({})), (err: unknown) => {
        assert.ok(err instanceof ImageError, String(err));
        assert.ok(err.message.startsWith(`${path}: cannot decode image`), err.message);
        return true;
      });
    }
  });

  it('a JPEG cut after its header: one line, with libvips\' repeated warnings kept in the cause', async () => {
    const cut = join(dir, 'cut.jpg');
    await writeFile(cut, (await readFile(PHOTO)).subarray(0, 300));
    await assert.rejects(loadImage(cut, spec({})), (err: unknown) => {
      assert.ok(err instanceof ImageError, String(err));
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /cannot decode image: .*premature end of JPEG image$/);
      const full = (err.cause as Error).message;
      assert.ok(full.trim().split('\n').length > 1, full);
      assert.ok(full.startsWith(err.message.slice(`${cut}: cannot decode image: `.length)));
      return true;
    });
  });
});
