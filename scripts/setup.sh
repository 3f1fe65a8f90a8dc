#!/usr/bin/env bash
# Installs the system tools Sheet Archiver drives: yt-dlp and ffmpeg (the archive), and Chromium
# (the sidebar test and its screenshots). Only what is missing is installed.
# Debian/Ubuntu: apt-get. Elsewhere: prints what to install and exits non-zero.
set -euo pipefail

need=()
command -v yt-dlp >/dev/null 2>&1 || [ -n "${YTDLP_PATH:-}" ] || need+=(yt-dlp)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ "${ARCHIVER_SKIP_CHROMIUM:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u | sed '/^$/d')

if [ ${#need[@]} -eq 0 ]; then
  echo "setup: yt-dlp $(yt-dlp --version 2>/dev/null || echo "at $YTDLP_PATH"), $(ffmpeg -version | head -1 | cut -d' ' -f1-3) — nothing to install."
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]} with apt-get …"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "setup: installed: yt-dlp $(yt-dlp --version), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
else
  echo "setup: please install: ${need[*]}" >&2
  echo "  macOS: brew install yt-dlp ffmpeg; Windows: winget install yt-dlp ffmpeg" >&2
  echo "  or set YTDLP_PATH to a yt-dlp binary." >&2
  exit 1
fi
