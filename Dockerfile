# Order-processing service image: one image, two roles.
#   API (default):  node dist/api/main.js      (listens on PORT, default 3000)
#   Worker:         node dist/worker/main.js   (override the command; metrics and health
#                                               on WORKER_PORT, default 3001)
# Health checks are set per service in docker-compose.yml, since the two roles listen on
# different ports.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------
# build: full dependency tree (dev included), compile TypeScript to dist/
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig*.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------
# prod-deps: production dependencies only, from the same lockfile
# (its own stage so it is cached independently of src/ changes)
#
# --omit=optional too: npm keeps a dev dependency that is also an optional peer of a
# production one, and @bull-board/api's valibot names TypeScript so (for its type
# definitions), which would put the 23 MB compiler into the image. The production tree's
# other optional packages are not needed at run time either: msgpackr's native decoder
# (BullMQ only encodes), type definitions, and a polyfill for Node < 18.11;
# test/unit/production-dependencies.test.ts fails when another one appears.
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional \
    && npm cache clean --force

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PORT=3000
WORKDIR /app

# Files stay owned by root (read-only for the app); the process runs as `node`.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./

USER node
EXPOSE 3000
CMD ["node", "--max-old-space-size=160", "--import", "./dist/api/tracing.js", "dist/api/main.js"]
