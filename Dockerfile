# syntax=docker/dockerfile:1
# Orochi data plane: one image, the `orochi` CLI as entrypoint (proxy, scheduler, controlplane, up).

# ---- build: compile TypeScript with the dev dependencies, then keep only production ones ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY common ./common
COPY proxy ./proxy
COPY router ./router
COPY wakeup ./wakeup
COPY controlplane ./controlplane
COPY stack ./stack
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

# ---- runtime ----
FROM node:20-bookworm-slim
# PostgreSQL server binaries for the scheduler's local backend and the control plane's local
# store, psql for `orochi connect`, PgBouncer as the local pooler, tini to reap computes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 pgbouncer tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    OROCHI_HOME=/var/lib/orochi \
    OROCHI_PG_BIN=/usr/lib/postgresql/15/bin
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Assets read at run time relative to package.json.
COPY wakeup/scheduler.proto ./wakeup/scheduler.proto
COPY controlplane/migrations ./controlplane/migrations
RUN mkdir -p /var/lib/orochi && chown -R postgres:postgres /var/lib/orochi \
 && ln -s /app/dist/bin/orochi.js /usr/local/bin/orochi && chmod +x /app/dist/bin/orochi.js
# Non-root: the computes and PgBouncer refuse root anyway.
USER postgres
VOLUME ["/var/lib/orochi"]
# proxy, proxy HTTP, control plane, scheduler, scheduler HTTP, pooler
EXPOSE 4432 9432 7432 50051 9433 6432
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/bin/orochi.js"]
CMD ["--help"]
