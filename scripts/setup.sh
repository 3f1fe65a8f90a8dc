#!/usr/bin/env bash
# Installs the tools Sheet Archiver drives:
# - ffmpeg (the archive), Chromium (the sidebar test and its screenshots) and python3 (which runs
#   yt-dlp's release zipapp): with apt-get on Debian/Ubuntu, only what is missing;
# - yt-dlp: the latest official release, checked against its SHA2-256SUMS, into the project's tools
#   folder (ARCHIVER_TOOLS_DIR, default ~/.local/share/sheet-archiver/bin), by
#   `sheet-archiver update-tools`. When the release cannot be reached (offline, CI), Debian's yt-dlp
#   is installed instead and this script says plainly that it is too old for YouTube. It still
#   exits 0 then, so `npm ci && npm run setup && npm run demo` works offline.
# The JavaScript runtime yt-dlp needs for YouTube (Deno) comes with `npm ci` (the `deno` package).
# Elsewhere than Debian/Ubuntu: prints what to install and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  echo "setup: installing $* with apt-get …"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. System packages.
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${ARCHIVER_SKIP_CHROMIUM:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u | sed '/^$/d')
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install "${need[@]}"
  else
    echo "setup: please install: ${need[*]}" >&2
    echo "  macOS: brew install ffmpeg python; Windows: winget install ffmpeg Python.Python.3.12" >&2
    exit 1
  fi
fi
echo "setup: $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"

# 2. yt-dlp.
if [ -n "${YTDLP_PATH:-}" ]; then
  echo "setup: YTDLP_PATH is set: the worker uses $YTDLP_PATH ($("$YTDLP_PATH" --version 2>/dev/null || echo 'does not run')); not installing yt-dlp."
  exit 0
fi
[ -f worker/dist/cli.js ] || node scripts/build.mjs
if out=$(node bin/sheet-archiver.js update-tools 2>&1); then
  printf '%s\n' "$out" | sed 's/^update-tools: /setup: /'
  exit 0
fi
printf '%s\n' "$out" | sed 's/^update-tools: /setup: /' >&2

# The release could not be reached (or was refused): fall back to the distribution's yt-dlp.
if ! command -v yt-dlp >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install yt-dlp
  else
    echo "setup: no yt-dlp: install a current release from https://github.com/yt-dlp/yt-dlp/releases and set YTDLP_PATH to it" >&2
    exit 1
  fi
fi
version=$(yt-dlp --version 2>/dev/null || echo unknown)
if [[ "$version" < "2025.11.12" ]]; then
  cat >&2 <<EOF
setup: WARNING: using $(command -v yt-dlp) (yt-dlp $version), which is TOO OLD FOR YOUTUBE.
setup:   YouTube links will fail ("Sign in to confirm you're not a bot", "Requested format is not
setup:   available"): YouTube needs yt-dlp 2025.11.12 or later with a JavaScript runtime. The demo and
setup:   media on allowed hosts still work.
setup:   What to do: on a machine that can reach https://github.com/yt-dlp/yt-dlp/releases, run
setup:   \`npx sheet-archiver update-tools\` (or set YTDLP_PATH to a current yt-dlp), then check with
setup:   \`npx sheet-archiver doctor\`. See docs/youtube.md.
EOF
else
  echo "setup: using $(command -v yt-dlp) (yt-dlp $version)."
fi
exit 0
