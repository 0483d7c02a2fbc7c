# openai-admin-mcp as a Streamable HTTP server for a team (README, "Deploy for a team").
# Stage 1 builds with the dev dependencies; stage 2 holds only the runtime dependencies and dist/,
# and runs as an unprivileged user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Bind every interface inside the container; authentication (OAuth or OPENAI_ADMIN_MCP_HTTP_TOKEN)
# is required off loopback.
ENV OPENAI_ADMIN_MCP_HOST=0.0.0.0 OPENAI_ADMIN_MCP_PORT=3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.js", "--http", "--stateless"]
