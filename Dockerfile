# gitcanary's container image: `docker build -t gitcanary .`, then `docker run gitcanary run --repo …`.
# Two stages: the first compiles and bundles TypeScript with the dev dependencies, the second holds only the
# bundled CLI (scripts/bundle.ts: one minified module with its dependencies, which keeps the idle heap at half)
# and runs it as an unprivileged user.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build is its own step below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.ts ./scripts/
# dist/ (tsc) and dist/bundle/gitcanary.mjs: the whole CLI and its dependencies in one minified module.
RUN npm run build

FROM node:20-slim
# tini as PID 1 forwards SIGTERM to node (whose handler drains the pass in flight and releases the Lease)
# and reaps zombies; `docker run --init` would do the same, but Kubernetes has no such switch.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 gitcanary \
  && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/gitcanary --shell /usr/sbin/nologin gitcanary \
  && install -d -o 10001 -g 10001 /var/lib/gitcanary
WORKDIR /app
ENV NODE_ENV=production
# The bundle holds every dependency: no node_modules. package.json is read for `--version`.
COPY package.json ./
COPY --from=build /app/dist/bundle ./dist/bundle
# The git object store is a cache (git holds the state); in Kubernetes an emptyDir is mounted here.
# The MALLOC_ settings and the node flags below are deploy/node-runtime.json (a test keeps them equal): a
# small young generation, a heap that grows 10% past what is live, only the hottest functions compiled by
# the optimizing compiler (an interrupt budget 15 times V8's) and the baseline code of functions no longer
# run let go as their bytecode is, every buffer of a page or more given back to
# the system when freed (the first fetch inflates each object into buffers of a few KB, which glibc would
# otherwise keep resident, fragmented, for the process's whole life), and one malloc arena for all threads
# (V8's and libuv's helper threads would each keep one of their own, resident).
ENV GITCANARY_WORKDIR=/var/lib/gitcanary/repo \
    GITCANARY_LISTEN=:8080 \
    MALLOC_MMAP_THRESHOLD_=4096 \
    MALLOC_ARENA_MAX=1
EXPOSE 8080
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=1", "--heap-growing-percent=10", "--interrupt-budget=1000000", "--flush-baseline-code", "dist/bundle/gitcanary.mjs"]
CMD ["run"]
