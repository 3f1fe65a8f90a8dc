import { describe, expect, it } from 'vitest';
import { DispatchOptionsSchema } from '../../shared/schemas.js';
import { laneOf } from '../../worker/src/jobs/lanes.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';

const job = (rowId: string, source: 'youtube' | 'drive', link: string): NewJob => ({
  dispatchId: 'd',
  spreadsheetId: 's',
  sheetId: 0,
  sheetName: 'P',
  rowId,
  rowNumber: 2,
  name: '',
  email: '',
  type: 'T',
  source,
  links: [link],
  attempt: 1,
  options: DispatchOptionsSchema.parse({}),
});

describe('lanes', () => {
  it('group jobs by the service they hit', () => {
    expect(laneOf('youtube', ['https://youtu.be/dQw4w9WgXcQ'])).toBe('youtube');
    expect(laneOf('youtube', ['https://m.youtube.com/watch?v=dQw4w9WgXcQ'])).toBe('youtube');
    expect(laneOf('youtube', ['http://127.0.0.1:8123/clips/a.mp4'])).toBe('127.0.0.1:8123');
    expect(laneOf('drive', ['https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view'])).toBe('drive');
  });

  it('lease skips the jobs of paused lanes and takes them once the lane runs again', () => {
    const q = new SqliteJobBackend(':memory:');
    q.enqueue([
      job('1', 'youtube', 'https://youtu.be/dQw4w9WgXcQ'),
      job('2', 'drive', 'https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view'),
      job('3', 'youtube', 'https://youtu.be/9bZkp7q19f0'),
    ]);
    const now = Date.now() + 10;
    expect(q.lease('w', 1000, now, ['youtube'])?.job.rowId).toBe('2');
    expect(q.lease('w', 1000, now, ['youtube'])).toBeNull();
    expect(q.lease('w', 1000, now)?.job.rowId).toBe('1');
    q.close();
  });
});
