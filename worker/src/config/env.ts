/**
 * The worker's configuration, read from the environment once at start-up and validated with zod,
 * so a bad value stops the process with a message that names the variable.
 */
import { delimiter, resolve } from 'node:path';
import { z } from 'zod';
import { parseExtraArgs } from '../sources/ytdlp/extraArgs.js';
import { parseJsRuntime } from '../tools/jsRuntime.js';
import { parseDuration } from '../../../shared/duration.js';
import { parseWebhookUrls, type WebhookEndpoint } from '../webhooks/endpoints.js';

const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', '']).transform((v) => v === '1' || v === 'true' || v === 'yes');
const list = z.string().transform((v) =>
  v
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean),
);
const optional = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

/** A duration such as `7d` (shared/duration.ts) in ms; unset or empty → undefined; anything else names the variable. */
const duration = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v || !v.trim()) return undefined;
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 12h, 7d or 2w` });
      return z.NEVER;
    }
    return ms;
  });

const EXPORT_KINDS = ['document', 'spreadsheet', 'presentation', 'drawing'] as const;

/**
 * DRIVE_EXPORT_FORMATS: `document=docx+pdf,spreadsheet=xlsx,presentation=pdf`; a format is an
 * extension Drive knows or `ext=mime/type` (e.g. `document=md=text/markdown`).
 */
const exportFormats = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v || !v.trim()) return undefined;
    const out: Partial<Record<(typeof EXPORT_KINDS)[number], string[]>> = {};
    for (const part of v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      const kind = part.slice(0, eq).trim().toLowerCase();
      const formats = part
        .slice(eq + 1)
        .split('+')
        .map((f) => f.trim())
        .filter(Boolean);
      if (eq <= 0 || !(EXPORT_KINDS as readonly string[]).includes(kind) || formats.length === 0) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not <${EXPORT_KINDS.join('|')}>=<format>[+<format>…]` });
        return z.NEVER;
      }
      out[kind as (typeof EXPORT_KINDS)[number]] = formats;
    }
    return out;
  });

/** YTDLP_JS_RUNTIME: `deno` (default), `node`, `bun`, `quickjs` or `none`, optionally `:<path>`. */
const jsRuntime = z
  .string()
  .optional()
  .transform((v, ctx) => {
    try {
      return parseJsRuntime(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** YTDLP_EXTRA_ARGS: shell-like words; every option that would break the layout, the guard or the process model is refused. */
const extraArgs = z
  .string()
  .optional()
  .transform((v, ctx) => {
    try {
      return parseExtraArgs(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** YTDLP_PLUGIN_DIRS: folders separated by commas or the PATH delimiter (paths may hold spaces). */
const dirList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(new RegExp(`[,${delimiter}]`))
      .map((s) => s.trim())
      .filter(Boolean)
      .map((d) => resolve(d)),
  );

/** Every environment variable the worker reads, with defaults. See README "Configuration". */
export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  ARCHIVER_SECRET: optional,
  ARCHIVER_DATA: z.string().default('./data'),
  ARCHIVER_ALLOWED_HOSTS: list.default([]),
  ARCHIVER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** per-lane caps on jobs running at once across every worker, `youtube=4,drive=8` (parsed by parseLaneConcurrency) */
  ARCHIVER_LANE_CONCURRENCY: optional,
  /** per-job limit, seconds */
  ARCHIVER_JOB_TIMEOUT_S: z.coerce.number().int().min(5).default(3600),
  /** job lease, seconds: a job held by a dead process comes back after this */
  ARCHIVER_LEASE_S: z.coerce.number().min(1).default(60),
  /** graceful shutdown (lifecycle/shutdown.ts): seconds running jobs may take to finish after SIGTERM before they are handed back */
  ARCHIVER_SHUTDOWN_S: z.coerce.number().int('must be a whole number of seconds').min(0).max(3600).default(30),
  /** multiplies retry backoff delays (tests and the demo shorten them) */
  ARCHIVER_RETRY_SCALE: z.coerce.number().min(0).max(100).default(1),
  ARCHIVER_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /** status write-back flush window, ms */
  ARCHIVER_REPORT_WINDOW_MS: z.coerce.number().int().min(10).default(2000),
  /** values:batchUpdate calls a minute for the service account, all workers together (limits/writeBudget.ts) */
  ARCHIVER_SHEETS_WRITES_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number of writes a minute, e.g. 50' })
    .int('must be a whole number of writes a minute, e.g. 50')
    .min(1, 'must be at least 1 write a minute')
    .max(10_000, "must be at most 10000 (Google's default quota is 60 a minute per user)")
    .default(50),
  /** Redis shared by all workers (docs/design.md §6): the status outbox and the Sheets write budget live there */
  REDIS_URL: optional.refine((v) => v === undefined || /^rediss?:\/\//.test(v), 'must be a redis://[user:password@]host:port[/db] URL'),
  ARCHIVER_STORAGE: z.enum(['local', 's3']).default('local'),
  ARCHIVER_ARCHIVE_DIR: optional,
  ARCHIVER_PREFIX: z.string().default(''),
  S3_BUCKET: optional,
  S3_ENDPOINT: optional,
  S3_REGION: z.string().default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_ACCESS_KEY_ID: optional,
  S3_SECRET_ACCESS_KEY: optional,
  /** 'auto': Google when credentials are set, else CSV when ARCHIVER_CSV is set, else off */
  ARCHIVER_SHEET: z.enum(['auto', 'google', 'csv', 'off']).default('auto'),
  ARCHIVER_CSV: optional,
  GOOGLE_APPLICATION_CREDENTIALS: optional,
  /** domain-wide delegation: the user the service account acts as */
  GOOGLE_IMPERSONATE_SUBJECT: optional,
  /** a fixed OAuth access token instead of a service account (stand-ins and emulators) */
  GOOGLE_ACCESS_TOKEN: optional,
  GOOGLE_SHEETS_ROOT_URL: optional,
  GOOGLE_DRIVE_ROOT_URL: optional,
  GOOGLE_DRIVE_PUBLIC_URL: optional,
  DRIVE_EXPORT_FORMATS: exportFormats,
  DRIVE_MAX_FILES: z.coerce.number().int().min(1).default(5000),
  DRIVE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(50 * 1024 ** 3),
  DRIVE_ACKNOWLEDGE_ABUSE: bool.default(false),
  DRIVE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(8),
  /** completed Drive rows are due again after this (ms, from e.g. `7d`); unset: never (docs/catalogue.md "Versions") */
  DRIVE_REARCHIVE_AFTER: duration,
  YTDLP_PATH: optional,
  /** most comments kept per video for rows with `comments=yes` (design §1) */
  ARCHIVER_MAX_COMMENTS: z.coerce.number().int().min(1).max(100_000).default(500),
  /** where `npm run setup` / `update-tools` install yt-dlp; default ~/.local/share/sheet-archiver/bin (tools/dir.ts) */
  ARCHIVER_TOOLS_DIR: optional,
  /** base URL of the yt-dlp release (`<url>/yt-dlp`, `<url>/SHA2-256SUMS`); tests point it at 127.0.0.1 */
  ARCHIVER_YTDLP_RELEASE_URL: optional,
  YTDLP_JS_RUNTIME: jsRuntime,
  /** a Netscape cookies file: a secret, never logged or shown */
  YTDLP_COOKIES: optional,
  YTDLP_PLUGIN_DIRS: dirList,
  YTDLP_EXTRA_ARGS: extraArgs,
  /** PostgreSQL for the catalogue (docs/design.md §6); unset: SQLite `<ARCHIVER_DATA>/catalogue.db` */
  DATABASE_URL: optional.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'must be a postgres://user:password@host:port/database URL',
  ),
  /** newest uploads one channel link archives (design §2) */
  ARCHIVER_CHANNEL_MAX: z.coerce.number().int().min(1).max(100_000).default(200),
  /** run yt-dlp in long-lived helper processes (no start-up per link); off: one yt-dlp process per link */
  ARCHIVER_YTDLP_HELPERS: bool.default(true),
  /** webhook receivers (docs/design.md §9): `URL[|type,type…]` entries separated by spaces; checked in loadConfig */
  ARCHIVER_WEBHOOK_URLS: optional,
  /** HMAC key of X-Archiver-Signature on webhook POSTs: a secret, never logged or shown */
  ARCHIVER_WEBHOOK_SECRET: optional,
  /** verify the archive in the background of `serve`, a full pass this often (`12h`, `7d`); unset: never (catalogue/verifySchedule.ts) */
  ARCHIVER_VERIFY_EVERY: optional.refine((v) => v === undefined || parseDuration(v) !== null, 'must be a duration such as 12h or 7d'),
  /** run logs (`<ARCHIVER_DATA>/logs/runs/`, runs/rotate.ts) older than this many days are removed */
  ARCHIVER_RUN_LOGS_MAX_AGE_DAYS: z.coerce.number().min(0).max(3650).default(30),
  /** the run logs together stay under this many MB (10^6 bytes); the oldest are removed first */
  ARCHIVER_RUN_LOGS_MAX_MB: z.coerce.number().min(0).max(1_000_000).default(500),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** GET /metrics on its own listener at this port (0: any free port); unset: no separate listener (metrics/expose.ts) */
  METRICS_PORT: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(0).max(65535).optional(),
  ),
  /** address of the metrics listener; loopback by default so it is never public by accident */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** bearer token for GET /metrics; without METRICS_PORT it serves /metrics on the main listener. A secret: never logged */
  METRICS_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters (openssl rand -hex 32)').optional()),
});

export type Env = z.infer<typeof EnvSchema>;

/** The resolved configuration the worker runs on. Paths are absolute. */
export interface Config {
  env: Env;
  dataDir: string;
  archiveDir: string;
  queuePath: string;
  workDir: string;
  allowedHosts: string[];
  /** parsed ARCHIVER_WEBHOOK_URLS (empty: no webhooks) */
  webhooks: WebhookEndpoint[];
  /** parsed ARCHIVER_LANE_CONCURRENCY: lane → most jobs of it running at once across every worker (empty: no caps) */
  laneConcurrency: Record<string, number>;
}

/**
 * Parses ARCHIVER_LANE_CONCURRENCY: comma-separated `lane=N` pairs (lanes as jobs/lanes.ts names
 * them: `youtube`, `drive`, `reprocess`, or an allowed host such as `media.example:8080`), N a
 * whole number 1…1000. Empty or unset: no caps.
 * @throws Error saying which pair is malformed.
 */
export function parseLaneConcurrency(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of (value ?? '').split(',')) {
    const pair = raw.trim();
    if (!pair) continue;
    const m = /^([A-Za-z0-9.:_-]+)\s*=\s*(\d{1,4})$/.exec(pair);
    const n = m ? Number(m[2]) : NaN;
    if (!m || n < 1 || n > 1000) throw new Error(`"${pair}" is not lane=N with N from 1 to 1000 (e.g. youtube=4,drive=8)`);
    if (m[1]! in out) throw new Error(`lane "${m[1]}" is named twice`);
    out[m[1]!] = n;
  }
  return out;
}

/** Thrown when the environment does not validate; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates the environment.
 * @param overrides values that win over `env` (CLI flags).
 * @throws ConfigError naming each bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Env, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.shape)) if (env[key] !== undefined) raw[key] = env[key];
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.ARCHIVER_STORAGE === 's3' && !e.S3_BUCKET)
    throw new ConfigError('invalid configuration:\n  S3_BUCKET: required when ARCHIVER_STORAGE=s3');
  if (e.ARCHIVER_SHEET === 'csv' && !e.ARCHIVER_CSV)
    throw new ConfigError('invalid configuration:\n  ARCHIVER_CSV: required when ARCHIVER_SHEET=csv');
  let webhooks: WebhookEndpoint[];
  try {
    webhooks = parseWebhookUrls(e.ARCHIVER_WEBHOOK_URLS, e.ARCHIVER_ALLOWED_HOSTS);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ARCHIVER_WEBHOOK_URLS: ${(err as Error).message}`);
  }
  if (webhooks.length && (e.ARCHIVER_WEBHOOK_SECRET ?? '').length < 16) {
    throw new ConfigError(
      'invalid configuration:\n  ARCHIVER_WEBHOOK_SECRET: required with ARCHIVER_WEBHOOK_URLS, at least 16 characters (`openssl rand -hex 32`)',
    );
  }
  let laneConcurrency: Record<string, number>;
  try {
    laneConcurrency = parseLaneConcurrency(e.ARCHIVER_LANE_CONCURRENCY);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ARCHIVER_LANE_CONCURRENCY: ${(err as Error).message}`);
  }
  const dataDir = resolve(e.ARCHIVER_DATA);
  return {
    env: e,
    dataDir,
    archiveDir: resolve(e.ARCHIVER_ARCHIVE_DIR ?? `${dataDir}/archive`),
    queuePath: `${dataDir}/queue.db`,
    workDir: `${dataDir}/work`,
    allowedHosts: e.ARCHIVER_ALLOWED_HOSTS,
    webhooks,
    laneConcurrency,
  };
}

/**
 * Checks what `serve` needs beyond the schema: a shared secret of at least 16 characters.
 * @throws ConfigError
 */
export function requireSecret(config: Config): string {
  const s = config.env.ARCHIVER_SECRET;
  if (!s)
    throw new ConfigError(
      'invalid configuration:\n  ARCHIVER_SECRET: required for `serve` (the add-on signs every request with it); generate one with `openssl rand -hex 32`',
    );
  if (s.length < 16) throw new ConfigError('invalid configuration:\n  ARCHIVER_SECRET: must be at least 16 characters');
  return s;
}
