# Container image of the venue-entry cloud API (docs/DEPLOY.md). Build from the repository root:
#   docker build -t venue-entry-cloud:0.1.0 .
# Three stages:
#   build      all dependencies (no install scripts: nothing native is compiled) and the esbuild bundle
#              of the cloud (deploy/build-cloud.ts) — no TypeScript runner is needed at run time;
#   prod-deps  production dependencies only. better-sqlite3 is the gate agent's local store; the cloud
#              never loads it (deploy/build-cloud.ts fails the build if the bundle ever imports it), so it
#              is removed instead of compiled and the image needs no compiler, python or make;
#   runtime    node:20-slim, code owned by root and read-only to the non-root `node` user.
# Run:        docker run -p 3000:3000 --env-file cloud.env venue-entry-cloud:0.1.0
# Migrations: docker run --env-file cloud.env venue-entry-cloud:0.1.0 npm run migrate
#             (the server also applies them at start, under a PostgreSQL advisory lock).

FROM node:20-slim AS build
WORKDIR /app
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY shared ./shared
COPY cloud ./cloud
COPY migrations/cloud ./migrations/cloud
COPY deploy/build-cloud.ts deploy/mint-ops-token.ts ./deploy/
RUN npx tsx deploy/build-cloud.ts dist

FROM node:20-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3 \
 && npm cache clean --force

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/tmp/cloud-data \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The bundle finds its SQL as ../../migrations/cloud from dist/cloud/ (cloud/db/migrate.ts).
COPY migrations/cloud ./migrations/cloud
COPY package.json ./
# `npm run migrate` and `npm start` in the image run the bundle; the repository's scripts need the sources.
RUN npm pkg delete scripts \
 && npm pkg set scripts.start="node dist/cloud/main.mjs" \
                scripts.cloud="node dist/cloud/main.mjs" \
                scripts.migrate="node dist/cloud/migrate-cli.mjs" \
                scripts.mint-ops-token="node dist/tools/mint-ops-token.mjs"
USER node
EXPOSE 3000
# node:20-slim has no curl: Node's own fetch asks the liveness route.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/cloud/main.mjs"]
