/**
 * Alert thresholds (issue 11): the row-centric tracker's defaults, each overridable by an
 * environment variable. Read here rather than in config/env.ts so a bad value names its variable
 * in the same words the alerts use.
 */
import { parseDuration } from './duration.js';

export interface AlertThresholds {
  /** failure share of the last `failureWindow` finished jobs above which `failure_rate` holds, 0…1 */
  failureRate: number;
  /** how many of the most recent finished (completed or failed) jobs the failure rate covers */
  failureWindow: number;
  /** free bytes under ARCHIVER_DATA below which `disk` holds */
  minDiskBytes: number;
  /** open jobs above which `pending` holds */
  maxPending: number;
  /** a queued job waiting longer than this (ms) makes `queued_age` hold */
  maxQueuedAgeMs: number;
  /** a lane paused longer than this (ms) makes `lane_paused` hold */
  maxLanePauseMs: number;
  /** a yt-dlp release older than this many days makes `ytdlp_age` hold */
  maxYtdlpAgeDays: number;
  /** a YTDLP_COOKIES file older than this (ms) makes `cookies_age` hold */
  cookiesMaxAgeMs: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  failureRate: 0.2,
  failureWindow: 100,
  minDiskBytes: 1024 ** 3,
  maxPending: 100,
  maxQueuedAgeMs: 6 * 3600_000,
  maxLanePauseMs: 3600_000,
  maxYtdlpAgeDays: 60,
  cookiesMaxAgeMs: 30 * 86_400_000,
};

/** A threshold variable with a value that does not parse; the message names the variable. */
export class ThresholdError extends Error {
  override name = 'ThresholdError';
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!/^\s*[0-9]+(\.[0-9]+)?\s*$/.test(raw) || n < min || n > max)
    throw new ThresholdError(`${name}: "${raw}" is not a number from ${min} to ${max}`);
  return n;
}

function dur(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const ms = parseDuration(raw);
  if (ms === null) throw new ThresholdError(`${name}: "${raw}" is not a duration (like 90s, 30m, 6h, 7d)`);
  return ms;
}

/**
 * The thresholds from the environment: ARCHIVER_ALERT_FAILURE_RATE (0…1), ARCHIVER_ALERT_FAILURE_WINDOW
 * (jobs), ARCHIVER_ALERT_MIN_DISK_GB (GiB), ARCHIVER_ALERT_MAX_PENDING (jobs),
 * ARCHIVER_ALERT_MAX_QUEUED_AGE and ARCHIVER_ALERT_MAX_LANE_PAUSE (durations),
 * ARCHIVER_ALERT_MAX_YTDLP_AGE_DAYS (days), ARCHIVER_COOKIES_MAX_AGE (duration).
 * @throws ThresholdError naming the variable whose value does not parse.
 */
export function thresholdsFromEnv(env: NodeJS.ProcessEnv = process.env): AlertThresholds {
  const d = DEFAULT_THRESHOLDS;
  return {
    failureRate: num(env, 'ARCHIVER_ALERT_FAILURE_RATE', d.failureRate, 0, 1),
    failureWindow: Math.round(num(env, 'ARCHIVER_ALERT_FAILURE_WINDOW', d.failureWindow, 1, 100_000)),
    minDiskBytes: num(env, 'ARCHIVER_ALERT_MIN_DISK_GB', d.minDiskBytes / 1024 ** 3, 0, 1e9) * 1024 ** 3,
    maxPending: Math.round(num(env, 'ARCHIVER_ALERT_MAX_PENDING', d.maxPending, 0, 1e9)),
    maxQueuedAgeMs: dur(env, 'ARCHIVER_ALERT_MAX_QUEUED_AGE', d.maxQueuedAgeMs),
    maxLanePauseMs: dur(env, 'ARCHIVER_ALERT_MAX_LANE_PAUSE', d.maxLanePauseMs),
    maxYtdlpAgeDays: num(env, 'ARCHIVER_ALERT_MAX_YTDLP_AGE_DAYS', d.maxYtdlpAgeDays, 0, 1e6),
    cookiesMaxAgeMs: dur(env, 'ARCHIVER_COOKIES_MAX_AGE', d.cookiesMaxAgeMs),
  };
}
