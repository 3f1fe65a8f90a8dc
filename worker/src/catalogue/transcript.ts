/**
 * Plain text of a subtitles file (WebVTT, SRT): the cue text without timings, numbering, tags or
 * repeats (YouTube's automatic captions repeat each line in the next cue). Mirrors the WebVTT
 * cue syntax (https://www.w3.org/TR/webvtt1/#webvtt-cue-blocks) closely enough for reading.
 */

/** The transcript text of a `.vtt` or `.srt` file: one line per distinct caption line. */
export function subtitlesToText(subtitles: string): string {
  const out: string[] = [];
  const blocks = subtitles.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) continue; // header, NOTE, STYLE, REGION
    for (const raw of lines.slice(timing + 1)) {
      const text = raw
        .replace(/<[^>]*>/g, '')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&nbsp;/g, ' ')
        .trim();
      if (text && out[out.length - 1] !== text) out.push(text);
    }
  }
  return out.join('\n');
}
