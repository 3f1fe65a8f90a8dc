# syntax=docker/dockerfile:1
# The Sheet Archiver worker (`sheet-archiver serve`) as a container. See docs/deploy.md.
#   docker build -t sheet-archiver .
#   docker run -p 8080:8080 -v archiver-data:/data -e ARCHIVER_SECRET="$(openssl rand -hex 32)" sheet-archiver
# Secrets (ARCHIVER_SECRET, Google key, S3 keys) are given at run time, never baked into the image.

# ── build: the CLI bundle (esbuild, dev dependencies) ──────────────────────────────────────────────
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; esbuild needs no script
# (its binary comes as an optional dependency).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN ARCHIVER_QUIET_BUILD=1 node scripts/build.mjs && test -f worker/dist/cli.js

# ── deps: production node_modules only (the bundle keeps packages external) ────────────────────────
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 falls back to node-gyp when no prebuilt binary matches
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e "require('better-sqlite3')(':memory:').close()" \
 && npm cache clean --force

# ── ytdlp: the current yt-dlp release, checked against the release's SHA2-256SUMS ──────────────────
FROM node:20-bookworm-slim AS ytdlp
# `latest`, or a release tag such as 2025.11.12 to pin it
ARG YTDLP_VERSION=latest
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    if [ "$YTDLP_VERSION" = latest ]; then base=https://github.com/yt-dlp/yt-dlp/releases/latest/download; \
    else base="https://github.com/yt-dlp/yt-dlp/releases/download/$YTDLP_VERSION"; fi; \
    cd /tmp; \
    curl -fsSL --retry 3 -o yt-dlp "$base/yt-dlp"; \
    curl -fsSL --retry 3 -o SHA2-256SUMS "$base/SHA2-256SUMS"; \
    grep -E '^[0-9a-f]{64}  yt-dlp$' SHA2-256SUMS > yt-dlp.sha256; \
    test -s yt-dlp.sha256; \
    sha256sum -c yt-dlp.sha256; \
    install -m 0755 yt-dlp /usr/local/bin/yt-dlp

# ── runtime ─────────────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS runtime
# ffmpeg: merges and converts (Debian's); python3: runs the yt-dlp zipapp; tini: PID 1 that reaps
# the yt-dlp/ffmpeg processes and forwards SIGTERM to the worker.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg python3 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 archiver \
 && useradd --system --uid 10001 --gid archiver --home-dir /app --shell /usr/sbin/nologin archiver
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/worker/dist ./worker/dist
COPY --from=ytdlp /usr/local/bin/yt-dlp /usr/local/bin/yt-dlp
# Deno (the `deno` npm package's platform binary): yt-dlp's JavaScript runtime for YouTube.
RUN set -eu; deno_bin="$(ls /app/node_modules/@deno/linux-*-glibc/deno)"; \
    ln -s "$deno_bin" /usr/local/bin/deno; \
    deno --version; yt-dlp --version; ffmpeg -hide_banner -version | head -n 1
RUN mkdir -p /data && chown archiver:archiver /data

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    ARCHIVER_DATA=/data \
    YTDLP_PATH=/usr/local/bin/yt-dlp \
    XDG_CACHE_HOME=/tmp/cache
# /app is read-only for the worker: yt-dlp's and Deno's caches (XDG_CACHE_HOME) go to /tmp.
# The SQLite queue, the status outbox and the local archive live here: mount a volume.
VOLUME ["/data"]
USER archiver:archiver
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/sheet-archiver.js"]
CMD ["serve"]
