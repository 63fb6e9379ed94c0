import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sweepLeftovers, tempDirFor, writeFolderAtomic } from '../src/io/atomic.js';
import { cleanupTempsSync, trackAside } from '../src/io/temp-registry.js';

/** The pid of a process that has exited (so nothing runs under it now, barring reuse). */
const deadPid = (): string => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;

describe('atomic output folders', () => {
  it('a write aborted before its rename leaves neither the folder nor its temp folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nm-atomic-'));
    const ac = new AbortController();
    const files = async (): Promise<[string, string][]> => (ac.abort(new Error('stop')), [['a.txt', 'x']]);
    await assert.rejects(writeFolderAtomic(join(root, 'out'), files, ac.signal), /stop/);
    assert.deepEqual(readdirSync(root), []);
  });

  it('sweepLeftovers removes a dead run\'s temp entries, keeps a live one\'s, and puts back a folder moved aside', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nm-atomic-'));
    const dead = deadPid();
    mkdirSync(join(root, `dog.tmp-${dead}-Ab12Cd`));
    writeFileSync(join(root, `dog.json.tmp-${dead}-0123abcd`), 'half');
    mkdirSync(join(root, `cat.old-${dead}-0123abcd`));
    writeFileSync(join(root, `cat.old-${dead}-0123abcd`, 'result.json'), 'cat');
    const live = await tempDirFor(join(root, 'eagle'));
    writeFileSync(join(root, 'holiday.tmp-2023.png'), 'a user file that only looks like one');
    assert.equal(await sweepLeftovers(root), 2);
    assert.deepEqual(readdirSync(root).sort(), ['cat', live.slice(root.length + 1), 'holiday.tmp-2023.png'].sort());
    assert.equal(readFileSync(join(root, 'cat', 'result.json'), 'utf8'), 'cat');
  });

  it('cleanupTempsSync (a forced exit) removes registered temp folders and restores one moved aside', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nm-atomic-'));
    const tmp = await tempDirFor(join(root, 'dog'));
    writeFileSync(join(tmp, 'mask.png'), 'half');
    mkdirSync(join(root, 'cat.old-1-0123abcd'));
    trackAside(join(root, 'cat.old-1-0123abcd'), join(root, 'cat'));
    cleanupTempsSync();
    assert.equal(existsSync(tmp), false);
    assert.deepEqual(readdirSync(root), ['cat']);
  });
});
