# One actor per container: docker build -t crdt-genome .
# How to run three (docker-compose.yml) or a StatefulSet (deploy/kubernetes/): README, "Deployment".

# Build: every dependency, TypeScript included, and the toolchain better-sqlite3 compiles its native
# module with when no prebuilt binary fits.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts but better-sqlite3's: `prepare` would build sources not copied yet, and no
# other package needs one.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime: production dependencies only (better-sqlite3 as built above, for the same base image),
# the compiled program, and the dashboard's files (for `crdt-genome cluster`).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY web ./web
# The store lives in /data (--data-dir /data), owned by the image's unprivileged user `node`.
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 7000
# Slim images have no curl: node asks. The port is the one the deployments give --port; a
# container listening elsewhere sets HEALTHCHECK_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTHCHECK_PORT || 7000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--help"]
