/**
 * What a given yt-dlp accepts, so the worker never passes an option an older release rejects
 * (yt-dlp exits with "no such option" on an unknown flag). Decided from the release date in
 * `--version` (yt-dlp's versions are dates, YYYY.MM.DD[.N]), and from `--help` when the version
 * is not a date (a fork, a source checkout).
 */
import { execFile } from 'node:child_process';
import { ytdlpVersion } from './binary.js';

/** The options the worker adds when supported, with the first release that has them (yt-dlp's Changelog.md). */
export const FEATURE_SINCE = {
  /** `--js-runtimes` / `--no-js-runtimes` (EJS, https://github.com/yt-dlp/yt-dlp/issues/15012) */
  jsRuntimes: { option: '--js-runtimes', since: '2025.11.12' },
  /** `--plugin-dirs` (https://github.com/yt-dlp/yt-dlp/pull/11277) */
  pluginDirs: { option: '--plugin-dirs', since: '2024.10.22' },
} as const;

export type Feature = keyof typeof FEATURE_SINCE;
export type Features = Record<Feature, boolean>;

/** The release date in a yt-dlp version string ("2023.03.04", "2025.11.12.232323"), or null. */
export function releaseDate(version: string): Date | null {
  const m = /^(\d{4})\.(\d{2})\.(\d{2})/.exec(version.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Whole days from a version's release date to `now`; null when the version is not a date. */
export function releaseAgeDays(version: string, now = new Date()): number | null {
  const d = releaseDate(version);
  return d ? Math.max(0, Math.floor((now.getTime() - d.getTime()) / 86_400_000)) : null;
}

/** Features of a version string; null when it is not a date (then ask `--help`). */
export function featuresOfVersion(version: string): Features | null {
  const d = releaseDate(version);
  if (!d) return null;
  const has = (since: string) => d.getTime() >= releaseDate(since)!.getTime();
  return { jsRuntimes: has(FEATURE_SINCE.jsRuntimes.since), pluginDirs: has(FEATURE_SINCE.pluginDirs.since) };
}

/** Features from `--help` text: an option is supported when its name is listed. */
export function featuresOfHelp(help: string): Features {
  const lists = (option: string) => new RegExp(`(^|\\s)${option.replace(/-/g, '\\-')}(\\s|=|$)`, 'm').test(help);
  return { jsRuntimes: lists(FEATURE_SINCE.jsRuntimes.option), pluginDirs: lists(FEATURE_SINCE.pluginDirs.option) };
}

const cache = new Map<string, Promise<Features>>();

/**
 * What the yt-dlp at `path` supports, cached per path for the life of the process.
 * Never rejects: a binary that cannot be asked is taken to support nothing new.
 */
export function ytdlpFeatures(path: string): Promise<Features> {
  let p = cache.get(path);
  if (!p) {
    p = (async () => {
      const byVersion = featuresOfVersion(await ytdlpVersion(path).catch(() => ''));
      if (byVersion) return byVersion;
      const help = await new Promise<string>((resolve) =>
        execFile(path, ['--help'], { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => resolve(err ? '' : stdout)),
      );
      return featuresOfHelp(help);
    })();
    cache.set(path, p);
  }
  return p;
}
