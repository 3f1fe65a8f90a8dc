import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // a test that asserts nothing fails
    expect: { requireAssertions: true },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn yt-dlp, ffmpeg, Chromium and worker processes: keep the 2-core machine from thrashing.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
