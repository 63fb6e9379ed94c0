import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageStore, sniffImageType, type StoredImage } from '../src/server/images.js';

const img = (id: string, size: number): StoredImage => ({ id, name: id, bytes: new Uint8Array(size), width: 1, height: 1 });

describe('the server\'s image store', () => {
  it('drops the oldest images beyond its count and its byte budget, never the newest', () => {
    const s = new ImageStore(2, 100);
    s.put(img('a', 10));
    s.put(img('b', 10));
    s.put(img('c', 10));
    assert.throws(() => s.get('a'), /no image "a"/);
    assert.equal(s.get('b').id, 'b');
    s.put(img('d', 95));
    assert.throws(() => s.get('b'), /no image/);
    assert.throws(() => s.get('c'), /no image/);
    assert.equal(s.get('d').id, 'd');
    s.put(img('e', 500)); // alone over the budget: kept, the rest dropped
    assert.equal(s.get('e').id, 'e');
    assert.throws(() => s.get('d'), /no image/);
  });

  it('tells image types by their bytes', () => {
    assert.equal(sniffImageType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])), 'png');
    assert.equal(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.equal(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), 'webp');
    assert.equal(sniffImageType(new TextEncoder().encode('GIF89a')), 'gif');
    assert.equal(sniffImageType(new TextEncoder().encode('<svg xmlns=')), undefined);
  });
});
