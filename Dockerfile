# One image for every Outflow service; the command picks what runs (docs/deploy.md lists them):
#   docker build -t outflow .
#   docker run --env-file outflow.env outflow node services/smtp-sender/dist/src/main.js
#   docker run --env-file outflow.env outflow node packages/db/dist/src/cli/migrate.js latest
#   docker run --env-file outflow.env outflow node tools/cli/dist/src/main.js topics create
#   docker run --env-file outflow.env outflow node tools/cli/dist/src/main.js api-key create --name ops
#
# Node.js 26, the active LTS line (supported until April 2029; 24 is in maintenance, 20 past its end of life). One
# version for both stages; CI runs the production output on exactly this version (tools/e2e's runtime-image test
# reads it from here), so change it here only.
ARG NODE_VERSION=26.12.1

FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /src
COPY . .
# pnpm at the version the root package pins (Node.js 25+ no longer ships corepack). No install scripts: nothing
# the build or the image needs runs one (the dev stack's embedded PostgreSQL does, and stays out of the image).
RUN pnpm_version=$(node -p "require('./package.json').packageManager.replace('pnpm@', '')") \
  && npx --yes "pnpm@${pnpm_version}" install --frozen-lockfile --ignore-scripts \
  && node node_modules/typescript/bin/tsc -b \
  && node --conditions=@outflow/source --import tsx tools/stack/src/cli/assemble-runtime.ts /runtime

FROM node:${NODE_VERSION}-trixie-slim
# V8 sizes its heap from the machine's memory, not the container's limit (192 Mi in infra/k8s): on a big node it
# lets garbage pile up well past 150 MB before collecting. A cap inside the limit keeps RSS near what is live
# (the bench runs the services with the same setting: containerNodeOptions in tools/stack). Smaller semi-spaces
# (8 MB, V8's default is 16) keep the young generation's share of RSS down at a small cost in scavenges.
ENV NODE_ENV=production HEALTH_HOST=0.0.0.0 NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"
WORKDIR /app
# Built JavaScript and production dependencies only (tools/stack/src/runtime-image/assemble-runtime.ts), owned by
# root and read-only to the process.
COPY --from=build /runtime ./
# The ops CLI by name: `docker run ... outflow outflow stats`, `kubectl exec ... -- outflow stats`.
RUN ln -s /app/tools/cli/dist/src/main.js /usr/local/bin/outflow
# By number, not name: Kubernetes' runAsNonRoot can only verify a numeric user (the image's `node` is 1000).
USER 1000:1000
CMD ["node", "services/sequence-api/dist/src/main.js"]
