#!/usr/bin/env bash
# Builds the dev/test Kafka broker: librdkafka's mock cluster hosted by mock-broker.c.
# The librdkafka source comes from the npm tarball of @confluentinc/kafka-javascript (fetched with
# `npm pack`, which downloads and runs nothing). The binary is cached under .cache/ keyed by the librdkafka
# version and the host's source hash, so it is built once per checkout (~1 min on 2 cores).
# Prints the binary's path as its last line.
set -euo pipefail

KJS_VERSION=1.10.1          # bundles librdkafka 2.15.1
LIBRDKAFKA_VERSION=2.15.1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${OUTFLOW_CACHE_DIR:-$repo/.cache}
src_hash=$(cat "$here/mock-broker.c" "$here/build.sh" "$here"/*.patch | sha256sum | cut -c1-12)
out_dir="$cache_root/mock-broker/librdkafka-$LIBRDKAFKA_VERSION-$src_hash"
bin="$out_dir/outflow-mock-broker"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

for tool in npm tar patch make gcc; do
  command -v "$tool" >/dev/null || { echo "mock-broker build: '$tool' is required but not installed" >&2; exit 1; }
done
[ -f /usr/include/zlib.h ] || { echo "mock-broker build: zlib headers missing (apt-get install zlib1g-dev)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "mock-broker build: fetching librdkafka $LIBRDKAFKA_VERSION source (@confluentinc/kafka-javascript@$KJS_VERSION)" >&2
(cd "$work" && npm pack --silent "@confluentinc/kafka-javascript@$KJS_VERSION" >/dev/null)
tar -xzf "$work"/confluentinc-kafka-javascript-*.tgz -C "$work" package/deps/librdkafka
lib="$work/package/deps/librdkafka"
grep -q "RD_KAFKA_VERSION  *0x020f01" "$lib/src/rdkafka.h" \
  || { echo "mock-broker build: expected librdkafka $LIBRDKAFKA_VERSION in the tarball" >&2; exit 1; }

# Our patches to the mock (each says why in its own hunk comments); a hunk that does not apply fails the build.
for fix in "$here"/*.patch; do
  patch -s -p1 -d "$lib" --forward <"$fix" || { echo "mock-broker build: $(basename "$fix") does not apply" >&2; exit 1; }
done

echo "mock-broker build: compiling librdkafka (about a minute)" >&2
(
  cd "$lib"
  ./configure --disable-ssl --disable-gssapi --disable-sasl --disable-zstd --disable-curl \
    --disable-lz4-ext --disable-syslog >"$work/configure.log" 2>&1 \
    || { tail -20 "$work/configure.log" >&2; exit 1; }
  make -j"$(nproc)" -C src librdkafka.a >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
)
mkdir -p "$out_dir"
gcc -O2 -Wall -Wno-ignored-qualifiers -o "$work/outflow-mock-broker" "$here/mock-broker.c" \
  -I"$lib/src" "$lib/src/librdkafka.a" -lpthread -lz -lm -ldl -lrt
# Rename into place so a concurrent or interrupted build never leaves a half-written binary.
mv "$work/outflow-mock-broker" "$bin.tmp.$$" && mv "$bin.tmp.$$" "$bin"
echo "mock-broker build: done" >&2
echo "$bin"
