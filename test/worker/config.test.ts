import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSecret } from '../../worker/src/config/env.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.env.PORT).toBe(8080);
    expect(c.archiveDir).toMatch(/data\/archive$/);
    expect(c.allowedHosts).toEqual([]);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', ARCHIVER_CONCURRENCY: '0' })).toThrow(
      /PORT[\s\S]*ARCHIVER_CONCURRENCY|ARCHIVER_CONCURRENCY[\s\S]*PORT/,
    );
    expect(() => loadConfig({ ARCHIVER_STORAGE: 's3' })).toThrow(/S3_BUCKET: required/);
    expect(() => loadConfig({ DRIVE_EXPORT_FORMATS: 'docs=pdf' })).toThrow(ConfigError);
  });

  it('parses allowed hosts and Drive export formats, including ext=mime/type', () => {
    const c = loadConfig({
      ARCHIVER_ALLOWED_HOSTS: 'Vimeo.com, 127.0.0.1:8123',
      DRIVE_EXPORT_FORMATS: 'document=docx+md=text/markdown, presentation=pdf',
    });
    expect(c.allowedHosts).toEqual(['vimeo.com', '127.0.0.1:8123']);
    expect(c.env.DRIVE_EXPORT_FORMATS).toEqual({ document: ['docx', 'md=text/markdown'], presentation: ['pdf'] });
  });

  it('serve needs a secret of 16+ characters, and never echoes it', () => {
    expect(() => requireSecret(loadConfig({}))).toThrow(/ARCHIVER_SECRET: required/);
    try {
      requireSecret(loadConfig({ ARCHIVER_SECRET: 'short-s3cret' }));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/at least 16/);
      expect((err as Error).message).not.toContain('short-s3cret');
    }
  });

  it('parses ARCHIVER_LANE_CONCURRENCY into per-lane caps, and names the variable when it is malformed', () => {
    expect(loadConfig({}).laneConcurrency).toEqual({});
    expect(loadConfig({ ARCHIVER_LANE_CONCURRENCY: 'youtube=4, drive=8,media.example.org:8080=2' }).laneConcurrency).toEqual({
      youtube: 4,
      drive: 8,
      'media.example.org:8080': 2,
    });
    for (const bad of ['youtube', 'youtube=0', 'youtube=four', 'youtube=4,youtube=5', '=3', 'drive=1001']) {
      expect(() => loadConfig({ ARCHIVER_LANE_CONCURRENCY: bad }), bad).toThrow(/ARCHIVER_LANE_CONCURRENCY: /);
    }
  });
});
