# The otlp-streams image: one image, the service chosen by the command (ingest, run <topology>, query, ...).
FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY schemas ./schemas
COPY topologies ./topologies
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["--help"]
