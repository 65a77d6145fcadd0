# One image for every role: ingress, worker, simulator (the command picks the role).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY producers ./producers
COPY tsconfig.json ./
USER node
ENTRYPOINT ["node", "bin/cxone-fleet.js"]
CMD ["--help"]
