/**
 * The Python side of a long-lived yt-dlp helper (pool.ts), run as `python3 -c HELPER_PY <yt-dlp>`.
 *
 * Protocol, JSON lines on stdin, one job at a time:
 *   → {"args": [...yt-dlp argv...], "cwd": "/abs/run/dir"}
 *   ← whatever that yt-dlp run prints, on stdout and stderr, exactly as the yt-dlp command would,
 *     then `[sa:done] <exit code>` as the last line on stderr and on stdout.
 * At start it prints `[sa:ready] {"ok": true, "version": "…"}` (or `{"ok": false, "error": "…"}`
 * and exits 3 when yt_dlp cannot be imported). It exits at the end of stdin.
 *
 * A job runs `yt_dlp._real_main(argv)`, the function the `yt-dlp` command runs (yt_dlp/__init__.py),
 * so the argv, output and exit codes are the command's. A zipapp (the official `yt-dlp` release)
 * is put on sys.path; Debian's package is importable as it is. If the worker dies (the helper's
 * parent changes), a watchdog kills the helper's process group, downloads and ffmpeg included.
 */
export const HELPER_PY = String.raw`
import sys, os, json, signal, threading, time, zipfile, traceback
binary = sys.argv[1] if len(sys.argv) > 1 else ''
if binary and zipfile.is_zipfile(binary):
    sys.path.insert(0, binary)
parent = os.getppid()
def watchdog():
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os.killpg(0, signal.SIGKILL)
threading.Thread(target=watchdog, daemon=True).start()
try:
    import yt_dlp
    from yt_dlp.utils import DownloadError
    version = getattr(getattr(yt_dlp, 'version', None), '__version__', 'unknown')
except BaseException as e:
    sys.stdout.write('[sa:ready] ' + json.dumps({'ok': False, 'error': repr(e)}) + '\n')
    sys.stdout.flush()
    sys.exit(3)
sys.stdout.write('[sa:ready] ' + json.dumps({'ok': True, 'version': version}) + '\n')
sys.stdout.flush()
while True:
    line = sys.stdin.readline()
    if not line:
        break
    if not line.strip():
        continue
    job = json.loads(line)
    code = 0
    try:
        os.chdir(job['cwd'])
        r = yt_dlp._real_main(job['args'])
        code = r if isinstance(r, int) else (0 if r is None else 1)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            sys.stderr.write(e.code + '\n')
    except DownloadError:
        code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.write('\n[sa:done] %d\n' % code)
            stream.flush()
        except BaseException:
            pass
`;
