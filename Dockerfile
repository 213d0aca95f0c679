# agw as a headless service. Build: docker build -t agw .   Run: see compose.yaml and docs/operations.md.

# Build stage: every dependency (dev ones included), then `npm pack`, which builds the console and the JavaScript
# (prepack) and produces exactly the package npm would publish.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /tmp/package \
 && mv /tmp/package/antigravity-gateway-*.tgz /tmp/agw.tgz

# Runtime stage: the published package and its production dependencies only, run by the unprivileged `node` user.
FROM node:24-bookworm-slim
COPY --from=build /tmp/agw.tgz /tmp/agw.tgz
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/agw.tgz \
 && rm /tmp/agw.tgz \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown node:node /data
# Listening beyond loopback, so authentication is forced on: every route but /healthz needs the API key (set
# AGW_API_KEY, or read the generated one from /data/gui_config.json). The environment overrides the config file, so
# a `config set proxy.auth_mode off` cannot turn it off.
ENV NODE_ENV=production \
    AGW_DATA_DIR=/data \
    AGW_HOST=0.0.0.0 \
    AGW_PORT=8045 \
    AGW_AUTH_MODE=all_except_health
USER node
VOLUME ["/data"]
EXPOSE 8045
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.AGW_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["agw"]
CMD ["serve", "--host", "0.0.0.0"]
