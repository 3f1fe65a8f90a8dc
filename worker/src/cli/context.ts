/** What every command needs: the validated configuration, a logger, and clean failure exits. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config, type Env } from '../config/env.js';
import { createLogger, type Logger } from '../log.js';

/** An error that ends the command with a message and exit code 2 ("could not run"). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Loads configuration with CLI overrides; a bad value becomes a UsageError naming the variable. */
export function configWith(overrides: Partial<Record<keyof Env, unknown>> = {}): Config {
  try {
    return loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** The logger for CLI commands: warnings only unless LOG_LEVEL says otherwise (progress owns stderr). */
export function cliLogger(defaultLevel = 'warn'): Logger {
  return createLogger({ level: process.env['LOG_LEVEL'] ?? defaultLevel });
}

/** Resolves a CSV path that must exist. @throws UsageError */
export function existingCsv(path: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new UsageError(`no such file: ${path}`);
  return p;
}

/** Parses `youtube,drive` / `both`. @throws UsageError naming the flag */
export function parseSources(value: string | undefined, flag = '--sources'): ('youtube' | 'drive')[] {
  if (!value || value === 'both') return ['youtube', 'drive'];
  const parts = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const p of parts)
    if (p !== 'youtube' && p !== 'drive') throw new UsageError(`${flag}: "${p}" is not a source (youtube, drive or both)`);
  return [...new Set(parts)] as ('youtube' | 'drive')[];
}

/** Parses a positive integer flag. @throws UsageError naming the flag */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: "${value}" is not a positive whole number`);
    return n;
  };
}

/** Parses a TCP port (0 = any free port). @throws UsageError naming the flag */
export function portNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: "${value}" is not a port (0–65535)`);
    return n;
  };
}

/** Parses a whole number ≥ 0. @throws UsageError naming the flag */
export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${flag}: "${value}" is not a whole number ≥ 0`);
    return n;
  };
}
