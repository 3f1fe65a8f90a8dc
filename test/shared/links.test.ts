import { describe, expect, it } from 'vitest';
import { mapColumns } from '../../shared/columns.js';
import { classifyLink, hostOf, isMalformedKnownLink, mediaIdOf, parseLink, splitLinks, splitUrl } from '../../shared/links.js';
import { rowLinks, validateSheet } from '../../shared/rows.js';

const V = 'dQw4w9WgXcQ';
const PL = 'PL6IaIsEjSbf96XFRuNccS_RuEXwNdsoEu';
const D = '1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk';

describe('parseLink: YouTube forms (design §2)', () => {
  const video = { source: 'youtube', kind: 'video', id: V };
  it.each([
    `https://www.youtube.com/watch?v=${V}`,
    `http://youtube.com/watch?v=${V}`,
    `https://m.youtube.com/watch?v=${V}&t=42s`,
    `https://music.youtube.com/watch?v=${V}`,
    `https://www.youtube.com/watch?feature=share&v=${V}`,
    `https://youtu.be/${V}`,
    `https://youtu.be/${V}?si=Xy12ab`,
    `https://www.youtube.com/shorts/${V}`,
    `https://www.youtube.com/embed/${V}`,
    `https://www.youtube-nocookie.com/embed/${V}`,
    `https://www.youtube.com/live/${V}`,
    `https://www.youtube.com/v/${V}`,
    `www.youtube.com/watch?v=${V}`,
    `HTTPS://WWW.YOUTUBE.COM/watch?v=${V}`,
  ])('%s → video', (url) => {
    expect(parseLink(url)).toEqual(video);
  });

  it('playlist?list= → playlist', () => {
    expect(parseLink(`https://www.youtube.com/playlist?list=${PL}`)).toEqual({ source: 'youtube', kind: 'playlist', id: PL });
    expect(parseLink('https://www.youtube.com/playlist?list=PLBB231211A4F62143')).toEqual({
      source: 'youtube',
      kind: 'playlist',
      id: 'PLBB231211A4F62143',
    });
    expect(parseLink(`https://www.youtube.com/embed/videoseries?list=${PL}`)).toEqual({ source: 'youtube', kind: 'playlist', id: PL });
  });

  it('watch?v=…&list=… → the video, with its playlist noted', () => {
    expect(parseLink(`https://www.youtube.com/watch?v=${V}&list=${PL}`)).toEqual({ ...video, playlistId: PL });
  });

  it('auto-generated RD… mixes are not playlists', () => {
    expect(parseLink(`https://www.youtube.com/playlist?list=RD${V}`)).toBeNull();
    expect(parseLink(`https://www.youtube.com/watch?v=${V}&list=RD${V}`)).toEqual(video);
  });

  it.each([
    ['other host', `https://vimeo.com/${V}`],
    ['look-alike host', `https://www.youtube.com.evil.example/watch?v=${V}`],
    ['suffix look-alike', `https://notyoutube.com/watch?v=${V}`],
    ['userinfo trick', `https://www.youtube.com@evil.example/watch?v=${V}`],
    ['id too short', 'https://www.youtube.com/watch?v=abc'],
    ['id too long', `https://www.youtube.com/watch?v=${V}x`],
    ['id with bad char', 'https://youtu.be/dQw4w9WgX!Q'],
    ['a channel tab that is not videos/shorts/streams', 'https://www.youtube.com/@someone/playlists'],
    ['file scheme', `file:///www.youtube.com/watch?v=${V}`],
    ['javascript scheme', `javascript:alert(1)//youtube.com/watch?v=${V}`],
    ['empty', ''],
  ])('rejects %s', (_what, url) => {
    expect(parseLink(url)).toBeNull();
  });
});

describe('parseLink: channel links (design §2)', () => {
  const UC = 'UC_x5XG1OV2P6uZZ5FSM9Ttw'; // 24 characters
  it.each([
    [`https://www.youtube.com/channel/${UC}`, { id: UC }],
    [`https://youtube.com/channel/${UC}/videos`, { id: UC, tab: 'videos' }],
    [`https://m.youtube.com/channel/${UC}/shorts/`, { id: UC, tab: 'shorts' }],
    [`https://music.youtube.com/channel/${UC}`, { id: UC }],
    ['https://www.youtube.com/@GoogleDevelopers', { id: '@GoogleDevelopers' }],
    ['https://www.youtube.com/@google.developers-1_x/streams', { id: '@google.developers-1_x', tab: 'streams' }],
    ['https://www.youtube.com/@GoogleDevelopers/videos?view=0&sort=dd', { id: '@GoogleDevelopers', tab: 'videos' }],
    ['https://www.youtube.com/%40GoogleDevelopers', { id: '@GoogleDevelopers' }],
    ['https://www.youtube.com/@%E6%97%A5%E6%9C%AC%E8%AA%9E', { id: '@日本語' }],
    ['www.youtube.com/c/GoogleDevelopers', { id: 'c/GoogleDevelopers' }],
    ['https://www.youtube.com/c/GoogleDevelopers/shorts', { id: 'c/GoogleDevelopers', tab: 'shorts' }],
    ['https://www.youtube.com/user/GoogleDevelopers/videos', { id: 'user/GoogleDevelopers', tab: 'videos' }],
  ])('%s → channel', (url, want) => {
    expect(parseLink(url)).toEqual({ source: 'youtube', kind: 'channel', ...want });
    expect(isMalformedKnownLink(url)).toBe(false);
    expect(classifyLink(url)).toBe('youtube');
  });

  it.each([
    ['a channel id one character short', `https://www.youtube.com/channel/${UC.slice(0, -1)}`],
    ['a channel id one character long', `https://www.youtube.com/channel/${UC}x`],
    ['a channel id not starting with UC', `https://www.youtube.com/channel/UX${UC.slice(2)}`],
    ['a channel id with a bad character', `https://www.youtube.com/channel/${UC.slice(0, -1)}!`],
    ['a handle too short', 'https://www.youtube.com/@ab'],
    ['a handle too long', `https://www.youtube.com/@${'a'.repeat(31)}`],
    ['a double @', 'https://www.youtube.com/@@someone'],
    ['a handle with a space', 'https://www.youtube.com/@some%20one'],
    ['an unknown tab', 'https://www.youtube.com/@someone/community'],
    ['the featured tab', `https://www.youtube.com/channel/${UC}/featured`],
    ['a path below a tab', 'https://www.youtube.com/@someone/videos/extra'],
    ['/c/ without a name', 'https://www.youtube.com/c/'],
    ['/user/ without a name', 'https://www.youtube.com/user'],
    ['/channel/ without an id', 'https://www.youtube.com/channel/'],
    ['a look-alike host', 'https://www.youtube.com.evil.example/@someone'],
    ['the nocookie host', 'https://www.youtube-nocookie.com/@someone'],
    ['youtu.be', 'https://youtu.be/@someone'],
    ['a bad percent escape', 'https://www.youtube.com/@some%E6one'],
  ])('rejects %s', (_what, url) => {
    expect(parseLink(url)).toBeNull();
  });

  it('a rejected channel look-alike on a YouTube host is reported as malformed', () => {
    expect(isMalformedKnownLink(`https://www.youtube.com/channel/${UC.slice(0, -1)}`)).toBe(true);
    expect(isMalformedKnownLink('https://www.youtube.com/@someone/community')).toBe(true);
  });

  it('validate (add-on and CLI) accepts channel links and dispatches them as YouTube; names a broken one', () => {
    const headers = ['row_id', 'name', 'email', 'type', 'channel'];
    const rows = [
      ['1', 'Ana', '', 'T', 'https://www.youtube.com/@GoogleDevelopers/videos'],
      ['2', 'Bo', '', 'T', `https://www.youtube.com/channel/${UC}`],
      ['3', 'Cy', '', 'T', 'https://www.youtube.com/@someone/community'],
    ];
    const v = validateSheet(headers, rows);
    expect(v.issues.map((i) => [i.kind, i.rowId])).toEqual([['malformed_link', '3']]);
    expect(v.linkColumns).toEqual(['channel']);
    expect(rowLinks(mapColumns(headers), rows[0]!).youtube).toEqual(['https://www.youtube.com/@GoogleDevelopers/videos']);
  });

  it('the media id is channel:<id>', () => {
    expect(mediaIdOf(parseLink(`https://www.youtube.com/channel/${UC}/videos`)!)).toBe(`channel:${UC}`);
    expect(mediaIdOf(parseLink('https://www.youtube.com/@GoogleDevelopers/shorts')!)).toBe('channel:@GoogleDevelopers');
    expect(mediaIdOf(parseLink('https://www.youtube.com/c/GoogleDevelopers')!)).toBe('channel:c/GoogleDevelopers');
    expect(mediaIdOf(parseLink('https://www.youtube.com/user/GoogleDevelopers')!)).toBe('channel:user/GoogleDevelopers');
  });
});

describe('parseLink: Drive and Docs forms (design §2)', () => {
  it.each([
    [`https://drive.google.com/file/d/${D}/view?usp=sharing`, 'file'],
    [`https://drive.google.com/file/d/${D}`, 'file'],
    [`https://drive.google.com/file/u/1/d/${D}/view`, 'file'],
    [`https://drive.google.com/open?id=${D}`, 'file'],
    [`https://drive.google.com/uc?id=${D}&export=download`, 'file'],
    [`https://drive.usercontent.google.com/download?id=${D}&export=download&confirm=t`, 'file'],
    [`https://drive.google.com/drive/folders/${D}`, 'folder'],
    [`https://drive.google.com/drive/u/0/folders/${D}?usp=sharing`, 'folder'],
    [`https://docs.google.com/document/d/${D}/edit`, 'document'],
    [`https://docs.google.com/document/u/2/d/${D}/edit#heading=h.1`, 'document'],
    [`https://docs.google.com/spreadsheets/d/${D}/edit#gid=0`, 'spreadsheet'],
    [`https://docs.google.com/presentation/d/${D}/edit#slide=id.p`, 'presentation'],
  ])('%s → %s', (url, kind) => {
    expect(parseLink(url)).toEqual({ source: 'drive', kind, id: D });
  });

  it('keeps the resource key', () => {
    expect(parseLink(`https://drive.google.com/file/d/${D}/view?resourcekey=0-abcDEF`)).toEqual({
      source: 'drive',
      kind: 'file',
      id: D,
      resourceKey: '0-abcDEF',
    });
  });

  it.each([
    ['short id', 'https://drive.google.com/file/d/abc123/view'],
    ['other Google host', `https://mail.google.com/file/d/${D}`],
    ['look-alike', `https://drive.google.com.evil.example/file/d/${D}`],
    ['forms', `https://docs.google.com/forms/d/${D}/viewform`],
    ['no id', 'https://drive.google.com/drive/my-drive'],
  ])('rejects %s', (_what, url) => {
    expect(parseLink(url)).toBeNull();
  });
});

describe('splitting and classifying cells', () => {
  it('splits on whitespace, commas, semicolons and new lines, dropping duplicates', () => {
    const cell = `https://youtu.be/${V}, https://www.youtube.com/shorts/${V};\nhttps://youtu.be/${V}  https://drive.google.com/drive/folders/${D}`;
    expect(splitLinks(cell)).toEqual([
      `https://youtu.be/${V}`,
      `https://www.youtube.com/shorts/${V}`,
      `https://drive.google.com/drive/folders/${D}`,
    ]);
  });

  it('ignores words that are not links', () => {
    expect(splitLinks('interview round 2')).toEqual([]);
    expect(splitLinks(undefined)).toEqual([]);
  });

  it('sends allowed media hosts to yt-dlp and ignores other hosts', () => {
    expect(classifyLink('http://127.0.0.1:8123/clips/a.mp4', ['127.0.0.1:8123'])).toBe('youtube');
    expect(classifyLink('http://127.0.0.1:9999/clips/a.mp4', ['127.0.0.1:8123'])).toBeNull();
    expect(classifyLink('https://vimeo.com/123', ['vimeo.com'])).toBe('youtube');
    expect(classifyLink('https://example.org/x.mp4', ['vimeo.com'])).toBeNull();
    expect(classifyLink(`https://drive.google.com/file/d/${D}/view`)).toBe('drive');
    expect(classifyLink('file:///etc/passwd', ['127.0.0.1'])).toBeNull();
  });

  it('reports known-host links that do not parse as malformed', () => {
    expect(isMalformedKnownLink('https://www.youtube.com/watch?v=short')).toBe(true);
    expect(isMalformedKnownLink(`https://www.youtube.com/watch?v=${V}`)).toBe(false);
    expect(isMalformedKnownLink('https://example.org/')).toBe(false);
  });

  it('media ids follow design §1', () => {
    expect(mediaIdOf(parseLink(`https://www.youtube.com/playlist?list=${PL}`)!)).toBe(`playlist:${PL}`);
    expect(mediaIdOf(parseLink(`https://youtu.be/${V}`)!)).toBe(V);
  });

  it('splits URLs without the URL class', () => {
    expect(splitUrl('http://[::1]:8080/a?b=c%20d#x')).toEqual({
      scheme: 'http',
      host: '[::1]',
      port: '8080',
      path: '/a',
      query: { b: 'c d' },
      fragment: 'x',
    });
    expect(hostOf('https://user:pw@Example.ORG:443/x')).toBe('example.org:443');
    expect(splitUrl('ftp://example.org/')).toBeNull();
  });
});
