/**
 * `sheet-archiver dashboard`: prints a login link to the operator dashboard (docs/dashboard.md),
 * signed with ARCHIVER_SECRET and good for 15 minutes. The base is `--url`, else
 * ARCHIVER_WORKER_URL (the worker's public URL), else http://127.0.0.1:$PORT.
 */
import { requireSecret } from '../../config/env.js';
import { LOGIN_TTL_MS, loginLink, loginToken } from '../../dashboard/login.js';
import { configWith, UsageError } from '../context.js';
import { printJson } from '../output.js';

export interface DashboardCliOptions {
  url?: string;
  json?: boolean;
}

export async function dashboardAction(o: DashboardCliOptions): Promise<void> {
  const config = configWith();
  let secret: string;
  try {
    secret = requireSecret(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flag = o.url !== undefined ? '--url' : 'ARCHIVER_WORKER_URL';
  const base = o.url ?? process.env['ARCHIVER_WORKER_URL'] ?? `http://127.0.0.1:${config.env.PORT}`;
  if (!/^https?:\/\/[^/?#]+\/?$/.test(base)) throw new UsageError(`${flag}: "${base}" is not http(s)://host[:port]`);
  const { token, expiresAt } = loginToken(secret);
  const url = loginLink(base, token);
  if (o.json) return printJson({ url, expiresAt: new Date(expiresAt).toISOString() });
  process.stdout.write(`${url}\n`);
  process.stderr.write(
    `Open this link within ${LOGIN_TTL_MS / 60_000} minutes (until ${new Date(expiresAt).toISOString().slice(11, 16)} UTC); it works once.\n`,
  );
}
