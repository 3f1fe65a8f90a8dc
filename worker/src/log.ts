/**
 * The worker's logger: pino, JSON to stderr, with secrets redacted wherever they might appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out (https://getpino.io/#/docs/redaction). */
const REDACT = [
  'secret',
  '*.secret',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  'headers["x-archiver-signature"]',
  '*.headers["x-archiver-signature"]',
  'accessToken',
  '*.accessToken',
  'METRICS_TOKEN',
  '*.METRICS_TOKEN',
  'ARCHIVER_SECRET',
  '*.ARCHIVER_SECRET',
  'ARCHIVER_WEBHOOK_SECRET',
  '*.ARCHIVER_WEBHOOK_SECRET',
  'YTDLP_COOKIES',
  '*.YTDLP_COOKIES',
  'DATABASE_URL',
  '*.DATABASE_URL',
  'private_key',
  '*.private_key',
  'credentials',
  '*.credentials',
  's3.secretAccessKey',
  '*.secretAccessKey',
];

/** pino's redaction options: every logger of the worker uses them (run logs too, runs/runLog.ts). */
export const REDACTION = { paths: REDACT, censor: '[redacted]' };

/** Creates the root logger. Level from LOG_LEVEL (default info; `silent` in tests). */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'sheet-archiver',
      level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: REDACTION,
    },
    pino.destination(2),
  );
}

/**
 * A logger that writes what `parent` writes (its destination, at its level, with its bindings)
 * and also every line at `fileLevel` or above to `file` (a run's log, runs/runLog.ts). The
 * redaction of `createLogger` applies to both.
 */
export function teeLogger(parent: Logger, file: pino.DestinationStream, fileLevel: pino.Level = 'info'): Logger {
  const streams: pino.StreamEntry[] = [{ level: fileLevel, stream: file }];
  const parentLevel = parent.level as pino.LevelWithSilent;
  if (parentLevel !== 'silent') {
    const own = (parent as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
    if (own) streams.push({ level: parentLevel, stream: own });
  }
  const lowest = parentLevel !== 'silent' && parent.levelVal < pino.levels.values[fileLevel]! ? parentLevel : fileLevel;
  const { name, ...bindings } = parent.bindings() as { name?: string } & Record<string, unknown>;
  return pino({ ...(name ? { name } : {}), level: lowest, redact: REDACTION }, pino.multistream(streams)).child(bindings);
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
