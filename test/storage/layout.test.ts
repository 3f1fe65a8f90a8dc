import { describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import {
  idOfSegment,
  idSegment,
  mediaPrefix,
  metadataKey,
  objectKey,
  parseKey,
  sanitizePath,
  sanitizeSegment,
} from '../../worker/src/storage/layout.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('sanitizeSegment', () => {
  it.each([
    ['..', '_'],
    ['.', '_'],
    ['...', '_'],
    ['', '_'],
    [' . ', '_'],
    ['a/b', 'a_b'],
    ['a\\b', 'a_b'],
    ['../../etc/passwd', '_.._etc_passwd'],
    ['a\u0000b\nc\rd\te\u007f\u0085f', 'abcdef'],
    ['\u202egnp.exe', 'gnp.exe'],
    ['zero\u200bwidth\ufeff', 'zerowidth'],
    ['line\u2028sep\u2029x', 'linesepx'],
    ['a?b*c<d>e|f"g', 'a_b_c_d_e_f_g'],
    ['playlist:PLabc', 'playlist:PLabc'],
    ['.hidden', 'hidden'],
    ['Ñandú — café', 'Ñandú — café'],
  ])('%j → %j', (input, want) => {
    expect(sanitizeSegment(input)).toBe(want);
  });

  it('never yields a separator, a control character, or a dot-only segment', () => {
    const hostile = ['..', '/', '\\', '\u0000', '../', '/..', '.\u0000.', '\n..\n', '. .', 'a/../b', '..\u202e'];
    for (const h of hostile) {
      const s = sanitizeSegment(h);
      expect(s).not.toMatch(/[/\\\u0000-\u001f]/);
      expect(s).not.toMatch(/^\.+$/);
      expect(s.length).toBeGreaterThan(0);
    }
  });

  it('keeps non-ASCII as NFC UTF-8', () => {
    const nfd = 'e\u0301'; // é decomposed
    expect(sanitizeSegment(`caf${nfd}`)).toBe('café'.normalize('NFC'));
    expect(sanitizeSegment('行く.mp4')).toBe('行く.mp4');
  });

  it('cuts very long unicode names to 200 bytes, between code points, keeping the extension, fast', () => {
    const t = Date.now();
    const cjk = sanitizeSegment('行'.repeat(50_000) + '.mp4');
    const emoji = sanitizeSegment('😀'.repeat(20_000) + '.webm');
    const ascii = sanitizeSegment('a'.repeat(100_000));
    expect(Date.now() - t).toBeLessThan(1000);
    for (const s of [cjk, emoji, ascii]) {
      expect(bytes(s)).toBeLessThanOrEqual(200);
      expect(s).not.toContain('\ufffd');
      expect(Buffer.from(s, 'utf8').toString('utf8')).toBe(s);
    }
    expect(cjk.endsWith('行.mp4')).toBe(true);
    expect(emoji.endsWith('😀.webm')).toBe(true);
    expect(ascii).toBe('a'.repeat(200));
  });

  it('is idempotent, including after a cut that ends on a dot', () => {
    const inputs = [
      'a'.repeat(199) + '. tail-without-extension-xxxxxxxxxxxx',
      '行'.repeat(300),
      '..x..',
      'a b . ',
      'x'.repeat(250) + '.mp4',
    ];
    for (const i of inputs) {
      const once = sanitizeSegment(i);
      expect(sanitizeSegment(once)).toBe(once);
    }
  });
});

describe('sanitizePath and keys', () => {
  it('sanitises each segment and drops empty ones', () => {
    expect(sanitizePath('../a/./b/../c')).toBe('_/a/b/_/c');
    expect(sanitizePath('/abs//x/')).toBe('abs/x');
    expect(sanitizePath('sub\\dir\\file.pdf')).toBe('sub/dir/file.pdf');
  });

  it('builds the design §5 layout and never escapes it', () => {
    expect(mediaPrefix('', '151', 'youtube', 'dQw4w9WgXcQ')).toBe('151/youtube/dQw4w9WgXcQ/');
    expect(metadataKey('arch', '151', 'drive', 'F1')).toBe('arch/151/drive/F1/metadata.json');
    const k = objectKey('', '../1', 'youtube', '../../x', '../../../etc/passwd');
    expect(k).toBe('%2E.%2F1/youtube/%2E.%2F..%2Fx/_/_/_/etc/passwd');
    expect(k.split('/')).not.toContain('..');
  });

  it('parseKey inverts objectKey, sub-folders included', () => {
    const key = objectKey('pre/fix', 'Ñ-7', 'drive', 'folder1', 'sub/dir/file.pdf');
    expect(parseKey(key, 'pre/fix')).toEqual({ rowId: 'Ñ-7', source: 'drive', mediaId: 'folder1', file: 'sub/dir/file.pdf' });
    expect(parseKey(key, 'other')).toBeNull();
    expect(parseKey('151/vimeo/x/file')).toBeNull();
    expect(parseKey('151/youtube/x')).toBeNull();
  });
});

describe('commas', () => {
  it('never appear in a segment, since *_files cells are comma-separated', async () => {
    const { sanitizeSegment } = await import('../../worker/src/storage/layout.js');
    expect(sanitizeSegment('Hello, World.mp4')).toBe('Hello_ World.mp4');
  });
});

describe('idSegment: the row_id / media id → segment mapping is one-to-one (docs/design.md §5)', () => {
  const hostile = [
    'col/x',
    'col_x',
    '..',
    '.',
    'a\u0000b',
    'ab',
    ' .. ',
    '....',
    './.',
    '\u202e..',
    '_',
    '',
    ' ',
    'a\\b',
    'a,b',
    'a%2Fb',
    'e\u0301',
    'é',
    '\ud800',
  ];

  /** A random id from an alphabet rich in the characters the old rule folded together. */
  function randomId(): string {
    const alphabet = [
      'a',
      'b',
      '_',
      '.',
      ' ',
      '/',
      '\\',
      '%',
      ',',
      '\u0000',
      '\u202e',
      '\u200b',
      'é',
      'e\u0301',
      '行',
      '😀',
      ':',
      '?',
      '*',
      '2',
      'F',
    ];
    return Array.from({ length: randomInt(0, 9) }, () => alphabet[randomInt(alphabet.length)]!).join('');
  }

  it('gives every pair of the hostile ids, and thousands of random ones, different segments', () => {
    const ids = new Set([...hostile, ...Array.from({ length: 5000 }, randomId), 'x'.repeat(400), 'x'.repeat(399) + 'y']);
    const bySegment = new Map<string, string>();
    for (const id of ids) {
      const seg = idSegment(id);
      const other = bySegment.get(seg);
      expect(other === undefined, `${JSON.stringify(id)} and ${JSON.stringify(other)} share ${JSON.stringify(seg)}`).toBe(true);
      bySegment.set(seg, id);
      // and every segment is a safe single path segment
      expect(seg).not.toMatch(/[/\\,\u0000-\u001f]/);
      expect(seg).not.toMatch(/^\.+$|^\s|\s$|^\.|\.$/);
      expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(200);
    }
    expect(bySegment.size).toBe(ids.size);
  });

  it('keeps readable ids as they were, and decodes escaped ones back', () => {
    for (const id of ['151', 'Ñ-7', 'playlist:PLabc', 'dQw4w9WgXcQ', '1AbC-_xyz']) expect(idSegment(id)).toBe(sanitizeSegment(id));
    expect(idSegment('col/x')).toBe('col%2Fx');
    expect(idSegment('..')).toBe('%2E%2E');
    for (const id of hostile.filter((h) => h !== '' && h !== '\ud800')) expect(idOfSegment(idSegment(id))).toBe(id);
    expect(idOfSegment('151')).toBe('151');
  });

  it('puts col/x and col_x, .. and ., in different folders', () => {
    expect(mediaPrefix('', 'col/x', 'youtube', 'v')).not.toBe(mediaPrefix('', 'col_x', 'youtube', 'v'));
    expect(metadataKey('', '..', 'drive', 'F')).not.toBe(metadataKey('', '.', 'drive', 'F'));
    expect(metadataKey('', 'r', 'drive', 'a\u0000b')).not.toBe(metadataKey('', 'r', 'drive', 'ab'));
  });
});
