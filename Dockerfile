# One image for every role: ingress, worker, simulator (the command picks the role).
# Build stage: the compiler and dev dependencies compile src/ to dist/. Runtime stage:
# Node 24 LTS with dist/ and the production dependencies only (no tsc, no tsx).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY producers ./producers
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# typescript arrives as a peer of valibot (bull-board) and cosmiconfig (mjml's htmlnano),
# which load it only for .ts config files the fleet never has: no compiler in the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && rm -rf node_modules/typescript && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin/cxone-fleet.js ./bin/cxone-fleet.js
COPY --from=build /src/dist ./dist
USER node
# Every role answers /healthz: the ingress on INGRESS_PORT (8080 here), workers and the
# simulator on the port their command names; compose overrides the check per service.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||process.env.METRICS_PORT||process.env.INGRESS_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/bin/cli.js"]
CMD ["--help"]
