/**
 * One set of Google credentials for both Sheets write-back and Drive downloads: a service account
 * key (GOOGLE_APPLICATION_CREDENTIALS) with optional domain-wide delegation, or a fixed access
 * token (GOOGLE_ACCESS_TOKEN, for stand-ins and emulators). Never logs or returns the secret.
 *
 * Imported from one API module rather than the googleapis root: the root loads every Google API
 * (~100 MiB of RSS).
 */
import { auth as authPlus } from 'googleapis/build/src/apis/drive/index.js';
import type { Auth } from 'googleapis';

/** https://developers.google.com/identity/protocols/oauth2/scopes */
export const GOOGLE_SCOPES = ['https://www.googleapis.com/auth/drive.readonly', 'https://www.googleapis.com/auth/spreadsheets'];

export type GoogleAuthClient = Auth.GoogleAuth | Auth.OAuth2Client;

export interface GoogleCredentials {
  auth: GoogleAuthClient | null;
  /** how the credentials were found, safe to print: "service account key file", "fixed access token", "none" */
  kind: 'service_account' | 'access_token' | 'none';
}

/**
 * Builds the credentials from the environment.
 * @param env.keyFile path to a service account JSON key; @param env.subject user to impersonate
 *   (domain-wide delegation); @param env.accessToken a fixed token that wins over the key file.
 */
export function googleCredentials(env: { keyFile?: string; subject?: string; accessToken?: string }): GoogleCredentials {
  if (env.accessToken) {
    const client = new authPlus.OAuth2();
    client.setCredentials({ access_token: env.accessToken, expiry_date: Date.now() + 365 * 24 * 3600 * 1000 });
    return { auth: client, kind: 'access_token' };
  }
  if (env.keyFile) {
    return {
      auth: new authPlus.GoogleAuth({
        keyFile: env.keyFile,
        scopes: GOOGLE_SCOPES,
        ...(env.subject ? { clientOptions: { subject: env.subject } } : {}),
      }),
      kind: 'service_account',
    };
  }
  return { auth: null, kind: 'none' };
}
