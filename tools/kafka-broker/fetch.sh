#!/usr/bin/env bash
# Fetches the jars of Apache Kafka (the version pom.xml pins) with Maven into a cache folder under the checkout,
# once: offline afterwards. The cache folder is keyed by the pom's hash, so a version change fetches anew.
# Maven's own downloads go to .cache/m2, not ~/.m2, so a checkout carries everything it fetched.
# Prints the folder holding the jars (the broker's classpath) as its last line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${OUTFLOW_CACHE_DIR:-$repo/.cache}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
pom_hash=$(sha256sum "$here/pom.xml" | cut -c1-12)
out="$cache_root/kafka/$version-$pom_hash"

if [ -f "$out/complete" ]; then
  echo "$out/libs"
  exit 0
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null || {
    echo "kafka fetch: '$tool' is required but not installed (Debian: apt-get install openjdk-17-jre-headless maven)" >&2
    exit 1
  }
done

mkdir -p "$cache_root/kafka"
work=$(mktemp -d "$cache_root/kafka/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "kafka fetch: Apache Kafka $version from Maven Central (once per checkout, ~20 s)" >&2
if ! mvn -B -q -f "$here/pom.xml" -Dmaven.repo.local="$cache_root/m2" -Doutflow.work="$work" package >"$work/mvn.log" 2>&1; then
  tail -30 "$work/mvn.log" >&2
  echo "kafka fetch: mvn failed (log above)" >&2
  exit 1
fi
ls "$work/libs/kafka_2.13-$version.jar" >/dev/null
rm -rf "$work/target" "$work/mvn.log"
touch "$work/complete"
# Rename into place so an interrupted or concurrent fetch never leaves a half-filled folder in use.
if ! mv -T "$work" "$out" 2>/dev/null; then
  [ -f "$out/complete" ] || { echo "kafka fetch: could not move the jars into $out" >&2; exit 1; }
fi
echo "kafka fetch: done" >&2
echo "$out/libs"
