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

/** Creates the root logger. Level from LOG_LEVEL (default info; `silent` in tests). */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'sheet-archiver',
      level: opts.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
