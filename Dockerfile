# One image for every Outflow service; the command picks the service:
#   docker build -t outflow .
#   docker run --env-file outflow.env outflow node services/smtp-sender/dist/src/main.js
#   docker run --env-file outflow.env outflow node packages/db/dist/src/cli/migrate.js
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
RUN corepack enable
COPY . .
# Build everything with dev dependencies, then keep only the runtime dependencies of packages and services
# (the dev stack under tools/ with its embedded PostgreSQL stays out of the image).
RUN pnpm install --frozen-lockfile --ignore-scripts \
  && pnpm build \
  && rm -rf node_modules packages/*/node_modules services/*/node_modules tools/*/node_modules \
  && pnpm install --frozen-lockfile --prod --ignore-scripts --filter "./packages/*" --filter "./services/*"

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production HEALTH_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/services services
USER node
CMD ["node", "services/sequence-api/dist/src/main.js"]
