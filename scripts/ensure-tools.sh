#!/usr/bin/env bash
# The system tools `osbkit up` needs, shared by `npm start` and `npm test`: a root cell isolates
# apps with util-linux's unshare and nsenter, iproute2, nftables and sysctl, and the build
# compiles the cell's C helper. The NFS volume driver mounts through FUSE: fusermount (fuse) at
# run time, and libfuse's headers (libfuse-dev, found with pkg-config) when npm builds
# @cocalc/fuse-native, so this must run before npm ci. As root this installs what is missing with apt; without root the
# cell runs apps without isolation and needs none of them, so nothing is asked for.
set -euo pipefail

if [ "$(id -u)" != 0 ] || [ "$(uname -s)" != Linux ]; then
  exit 0
fi

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have unshare || missing+=(util-linux)
have nsenter || missing+=(util-linux)
have ip || missing+=(iproute2)
have nft || missing+=(nftables)
have sysctl || missing+=(procps)
have cc || missing+=(gcc libc6-dev)
have fusermount || missing+=(fuse)
have pkg-config || missing+=(pkg-config)
have make || missing+=(make)
have python3 || missing+=(python3)
[ -f /usr/include/fuse/fuse.h ] || missing+=(libfuse-dev)

if [ ${#missing[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "osbkit: the cell needs ${missing[*]}; install them with your package manager (or run osbkit up --isolation none)" >&2
    exit 1
  fi
  echo "osbkit: installing ${missing[*]} (the cell's isolation needs them)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
