/**
 * The webhook signature (docs/design.md §9): `X-Archiver-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256(webhook secret, "<t>.<raw body>")>`, the scheme Stripe's webhooks use.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'X-Archiver-Signature';
export const WEBHOOK_EVENT_HEADER = 'X-Archiver-Event';
export const WEBHOOK_DELIVERY_HEADER = 'X-Archiver-Delivery';

/** The header value for `body` signed at `t` (unix seconds; default now). */
export function signWebhook(secret: string, body: string, t: number = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * Checks a header the way a receiver should (docs/operations.md#webhooks): HMAC over the raw
 * body, constant-time compare, and `t` within `toleranceS` of now.
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  toleranceS = 300,
  nowS = Math.floor(Date.now() / 1000),
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const got = Buffer.from(m[2]!);
  return want.length === got.length && timingSafeEqual(want, got);
}
