# One image for every Outflow service; the command picks the service:
#   docker build -t outflow .
#   docker run --env-file outflow.env outflow node services/smtp-sender/dist/src/main.js
#   docker run --env-file outflow.env outflow node packages/db/dist/src/cli/migrate.js
#   docker run --env-file outflow.env outflow node tools/cli/dist/src/main.js api-key create --name ops
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
RUN corepack enable
COPY . .
# Build everything with dev dependencies, then keep only the runtime dependencies of packages and services
# and the ops CLI (the dev stack with its embedded PostgreSQL stays out of the image).
RUN pnpm install --frozen-lockfile --ignore-scripts \
  && pnpm build \
  && rm -rf node_modules packages/*/node_modules services/*/node_modules tools/*/node_modules \
  && pnpm install --frozen-lockfile --prod --ignore-scripts --filter "./packages/*" --filter "./services/*" \
    --filter "./tools/cli"

FROM node:20.19-bookworm-slim
# V8 sizes its heap from the machine's memory, not the container's limit (192 Mi in infra/k8s): on a big node it
# lets garbage pile up well past 150 MB before collecting. A cap inside the limit keeps RSS near what is live
# (the bench runs the services with the same setting: containerNodeOptions in tools/stack). Smaller semi-spaces
# (8 MB, V8's default is 16) keep the young generation's share of RSS down at a small cost in scavenges.
ENV NODE_ENV=production HEALTH_HOST=0.0.0.0 NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"
WORKDIR /app
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/services services
COPY --from=build /app/tools/cli tools/cli
# By number, not name: Kubernetes' runAsNonRoot can only verify a numeric user (the image's `node` is 1000).
USER 1000:1000
CMD ["node", "services/sequence-api/dist/src/main.js"]
