/**
 * Builds realistic CSV sheets that point at the local media host (and, optionally, Drive ids
 * served by the Drive stand-in): the demo, the end-to-end test and the throughput benchmark use it.
 * People, types and quirks (unicode names, quoted new lines, a notes column, an empty and a
 * duplicate row_id, a broken link) follow the shared sample sheet.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { MediaHost } from './mediaHost.js';

const PEOPLE: [string, string][] = [
  ['Ana Souza', 'FF-Fi/Se-CP/B(S) #4'],
  ['Bruno Oliveira', 'MF-Si/Te-BS/P(C) #3'],
  ['Chen Wang', 'MM-Ne/Ti-CS/P(B) #1'],
  ['Dmitri Ivanov', 'FM-Te/Ni-SC/B(P) #2'],
  ['Émilie Dubois', 'FF-Ni/Fe-SB/C(P) #4'],
  ['Farah Haddad', 'MF-Fe/Se-PB/S(C) #1'],
  ['Gustavo Pereira', 'MM-Ti/Ne-CP/S(B) #2'],
  ['Hana Sato', 'FM-Se/Fi-BP/C(S) #3'],
  ['Igor Petrov', 'FF-Ne/Fi-CS/B(P) #3'],
  ['Jürgen Müller', 'MF-Ti/Si-SC/P(B) #4'],
  ['Kwame Mensah', 'FF-Fi/Se-CP/B(S) #4'],
  ['Lena Novak', 'MF-Si/Te-BS/P(C) #3'],
  ['María José García', 'MM-Ne/Ti-CS/P(B) #1'],
  ['Nikhil Iyer', 'FM-Te/Ni-SC/B(P) #2'],
  ['Olga Kuznetsova', 'FF-Ni/Fe-SB/C(P) #4'],
  ['Pierre-Luc Tremblay', 'MF-Fe/Se-PB/S(C) #1'],
  ['Quang Nguyen', 'MM-Ti/Ne-CP/S(B) #2'],
  ['Rosa Rossi', 'FM-Se/Fi-BP/C(S) #3'],
  ['Søren Jensen', 'FF-Ne/Fi-CS/B(P) #3'],
  ['Tariq Aziz', 'MF-Ti/Si-SC/P(B) #4'],
  ["O'Brien Kelly", 'MM-Ti/Ne-CP/S(B) #2'],
  ['Łukasz Kowalski', 'FM-Se/Fi-BP/C(S) #3'],
  ['Zoë Laurent', 'MF-Fe/Se-PB/S(C) #1'],
  ['Sipho Dlamini', 'FF-Ne/Fi-CS/B(P) #3'],
];

export interface SampleSheetOptions {
  /** data rows with links (default 22); two more rows show an empty and a duplicate row_id */
  rows?: number;
  /** Drive links for some rows (ids the Drive stand-in serves) */
  driveLinks?: string[];
  /** include a 404 link (one row fails as not_found) */
  brokenLink?: boolean;
  /** include the bad row_id rows (default true) */
  badRowIds?: boolean;
}

export interface SampleSheet {
  path: string;
  /** row_ids that should complete, by source */
  expectCompleted: { youtube: string[]; drive: string[] };
  /** row_id expected to fail as not_found */
  expectFailed: string[];
  /** 1-based row numbers skipped for bad row_ids */
  expectSkippedRows: number[];
}

/**
 * Writes a sheet to `path` and says what a run should produce.
 * Row kinds rotate: a direct clip, a page with <video> + <track> (subtitles), two links in one
 * cell separated by a new line, the multi-video page (a playlist).
 */
export function writeSampleSheet(path: string, host: MediaHost, o: SampleSheetOptions = {}): SampleSheet {
  const n = o.rows ?? 22;
  const header = ['row_id', 'name', 'email', 'type', 'video', 'more_links', 'google_drive', 'notes'];
  const rows: string[][] = [];
  const expect: SampleSheet = { path, expectCompleted: { youtube: [], drive: [] }, expectFailed: [], expectSkippedRows: [] };
  const clip = (i: number) => host.clips[i % host.clips.length]!;
  for (let i = 0; i < n; i++) {
    const [name, type] = PEOPLE[i % PEOPLE.length]!;
    const rowId = String(101 + 2 * i);
    const email = `${name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z ]/g, '')
      .trim()
      .replace(/\s+/g, '.')}@example.org`;
    let video = '';
    let more = '';
    switch (i % 4) {
      case 0:
        video = host.clipUrl(clip(i));
        break;
      case 1:
        video = host.pageUrl(clip(i));
        break;
      case 2:
        video = host.clipUrl(clip(i));
        more = `${host.pageUrl(clip(i + 1))}\n${host.clipUrl(clip(i + 2))}`;
        break;
      default:
        more = i === 3 ? host.playlistUrl() : host.pageUrl(clip(i));
    }
    const broken = o.brokenLink !== false && i === n - 1;
    if (broken) {
      video = host.notFoundUrl('mp4');
      more = '';
      expect.expectFailed.push(rowId);
    } else expect.expectCompleted.youtube.push(rowId);
    const drive = o.driveLinks?.[i] ?? '';
    if (drive) expect.expectCompleted.drive.push(rowId);
    rows.push([rowId, i === 4 ? ` ${name} ` : name, email, type, video, more, drive, i % 5 === 0 ? 'interview round 2' : '']);
  }
  if (o.badRowIds !== false) {
    rows.push(['', 'No Id Person', 'no.id@example.org', 'FF-Fi/Se-CP/B(S) #4', host.clipUrl(clip(0)), '', '', 'row_id missing']);
    rows.push([
      rows[0]![0]!,
      'Duplicate Person',
      'dup@example.org',
      'MF-Si/Te-BS/P(C) #3',
      host.clipUrl(clip(1)),
      '',
      '',
      'duplicate row_id',
    ]);
    expect.expectSkippedRows.push(rows.length, rows.length + 1);
    // the first row's id is now duplicated: it is skipped too
    expect.expectCompleted.youtube.shift();
    expect.expectSkippedRows.unshift(2);
  }
  writeFileSync(path, stringify([header, ...rows]));
  return expect;
}
