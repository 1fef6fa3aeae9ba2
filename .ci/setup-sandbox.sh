#!/usr/bin/env bash
# Idempotent sandbox setup for a fresh Debian machine running as root: installs docker.io,
# bubblewrap, debootstrap and socat when missing, starts dockerd when its socket does not
# answer (waiting at most 60 s), then builds the default sandbox image with the image builder
# through tsx (skipped when an identical image exists).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v socat >/dev/null || missing+=(socat)
command -v setpriv >/dev/null || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-sandbox: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup-sandbox: starting dockerd" >&2
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "setup-sandbox: dockerd did not start (see /tmp/dockerd.log)" >&2; exit 1; }
fi

echo "setup-sandbox: building the sandbox image (skipped when up to date)" >&2
npx tsx -e "
import('./src/adapters/sandbox/image.ts').then(async ({ buildImage }) => {
  const r = await buildImage({ onProgress: (l) => process.stderr.write(l + '\n') });
  console.log(r.built ? 'built ' + r.image : r.image + ' is up to date');
}).catch((e) => { console.error('setup-sandbox: ' + e.message); process.exit(1); });
"
