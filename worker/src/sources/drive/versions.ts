/**
 * Versions of Drive items (docs/design.md §5, docs/catalogue.md "Versions of Docs and Drive files"):
 * whether Drive's copy changed since the stored one, which archive version a run writes, where
 * its objects go, and the record of the versions it supersedes.
 *
 * Changes are read from the Drive v3 files resource
 * (https://developers.google.com/drive/api/reference/rest/v3/files), never from export bytes:
 * native exports are not byte-stable (rclone's users found the same), so hashing them would store
 * a new "version" on every run.
 *  - binary files: `headRevisionId` ("only available for files with binary content") when both
 *    sides have it, else `size` + `md5Checksum`;
 *  - Google-native files (no headRevisionId, no md5): `modifiedTime`. `version` is not compared:
 *    it "reflects every change made to the file on the server, even those not visible to the
 *    user", so a sharing change would store an identical copy.
 *
 * Layout: version 1 is the unversioned layout `…/<media_id>/<file>` (so archives made before
 * versions exist are version 1 as they stand, with nothing moved); version N ≥ 2 writes what
 * changed under `…/<media_id>/v<N>/<file>`. Unchanged entries keep the keys they have, whichever
 * version wrote them. metadata.json stays at `…/<media_id>/metadata.json` and describes the
 * current version; `extra.versions` lists the files the earlier versions had that the current
 * one replaced, so the catalogue (rebuilt from metadata.json alone) still lists them.
 */
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { EntryRecord } from './metadata.js';
import { NATIVE_PREFIX, type DriveFile } from './types.js';

/** An earlier version's files that a later version replaced (metadata.json `extra.versions[]`). */
export interface VersionRecord {
  /** 1, 2, … */
  version: number;
  /** when that version was archived (its metadata.json's archivedAt), ISO 8601 UTC */
  archivedAt: string;
  /** Drive's facts of the replaced entries then (modifiedTime, headRevisionId, md5…) */
  entries: EntryRecord[];
  files: MetadataFile[];
}

/** The current archive version of a previous metadata.json: `extra.version`, 1 when absent (older archives). */
export function currentVersion(previous: MediaMetadata | null): number {
  const v = previous?.extra?.['version'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : 1;
}

/** The earlier versions a previous metadata.json records (`extra.versions`), oldest first. */
export function versionHistory(previous: MediaMetadata | null): VersionRecord[] {
  const v = previous?.extra?.['versions'];
  return Array.isArray(v) ? (v as VersionRecord[]).filter((r) => r && typeof r.version === 'number' && Array.isArray(r.files)) : [];
}

/**
 * True when Drive's file differs from the stored entry (see the module comment for what is compared).
 * A file Drive gives none of the compared fields for counts as changed (nothing proves it is not).
 */
export function hasChanged(prev: EntryRecord, f: DriveFile): boolean {
  if ((f.mimeType ?? '').startsWith(NATIVE_PREFIX)) return !f.modifiedTime || prev.modifiedTime !== f.modifiedTime;
  if (f.headRevisionId && prev.headRevisionId) return f.headRevisionId !== prev.headRevisionId;
  if (f.size == null || prev.size !== Number(f.size)) return true;
  return (f.md5Checksum ?? undefined) !== prev.md5Checksum;
}

/** The folder a version's new objects go under, below the media folder: '' for version 1, `v<N>/` after. */
export function versionDir(version: number): string {
  return version <= 1 ? '' : `v${version}/`;
}

/** True for a top-level name that a version folder could take (`v2`, `V10`): plan.ts renames such entries. */
export function isVersionDirName(segment: string): boolean {
  return /^v\d+$/i.test(segment);
}

/**
 * The version record of what a new version replaces: the previous metadata.json's files that the
 * new current files no longer list (changed or removed entries), with their entries; null when
 * nothing was replaced.
 */
export function supersededRecord(previous: MediaMetadata, currentKeys: ReadonlySet<string>): VersionRecord | null {
  const files = (previous.files ?? []).filter((f) => !currentKeys.has(f.key));
  if (files.length === 0) return null;
  const keys = new Set(files.map((f) => f.key));
  const all = Array.isArray(previous.extra?.['entries']) ? (previous.extra['entries'] as EntryRecord[]) : [];
  const entries = all.filter((e) => Array.isArray(e?.keys) && e.keys.some((k) => keys.has(k)));
  return { version: currentVersion(previous), archivedAt: previous.archivedAt, entries, files };
}
