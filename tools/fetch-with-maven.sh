#!/usr/bin/env bash
# Fetches the jars a tool folder's pom.xml copies (its `package` phase writes them to ${outflow.work}/libs) with
# Maven into a cache folder under the checkout, once: offline afterwards. The cache folder is keyed by the pinned
# version and the pom's hash, so a change to the pom fetches anew. Maven's own downloads go to .cache/m2, not
# ~/.m2, so a checkout carries everything it fetched.
# Usage: fetch-with-maven.sh <tool folder> <cache name> <version property>
# Prints the folder holding the jars as its last line.
set -euo pipefail

dir=$(cd "$1" && pwd)
name=$2
property=$3
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${OUTFLOW_CACHE_DIR:-$repo/.cache}
version=$(sed -n "s:.*<$property>\(.*\)</$property>.*:\1:p" "$dir/pom.xml")
[ -n "$version" ] || { echo "$name fetch: $dir/pom.xml names no <$property>" >&2; exit 1; }
pom_hash=$(sha256sum "$dir/pom.xml" | cut -c1-12)
out="$cache_root/$name/$version-$pom_hash"

if [ -f "$out/complete" ]; then
  echo "$out/libs"
  exit 0
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null || {
    echo "$name fetch: '$tool' is required but not installed (Debian: apt-get install openjdk-17-jre-headless maven)" >&2
    exit 1
  }
done

mkdir -p "$cache_root/$name"
work=$(mktemp -d "$cache_root/$name/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "$name fetch: $name $version from Maven Central (once per checkout)" >&2
if ! mvn -B -q -f "$dir/pom.xml" -Dmaven.repo.local="$cache_root/m2" -Doutflow.work="$work" package >"$work/mvn.log" 2>&1; then
  tail -30 "$work/mvn.log" >&2
  echo "$name fetch: mvn failed (log above)" >&2
  exit 1
fi
[ -n "$(ls -A "$work/libs" 2>/dev/null)" ] || { echo "$name fetch: Maven copied no jars" >&2; exit 1; }
rm -rf "$work/target" "$work/mvn.log"
touch "$work/complete"
# Rename into place so an interrupted or concurrent fetch never leaves a half-filled folder in use.
if ! mv -T "$work" "$out" 2>/dev/null; then
  [ -f "$out/complete" ] || { echo "$name fetch: could not move the jars into $out" >&2; exit 1; }
fi
echo "$name fetch: done" >&2
echo "$out/libs"
