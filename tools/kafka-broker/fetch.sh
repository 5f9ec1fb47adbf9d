#!/usr/bin/env bash
# Fetches the jars of Apache Kafka (the version pom.xml pins) with Maven into a cache folder under the checkout,
# once: offline afterwards (see ../fetch-with-maven.sh). Prints the folder holding the jars (the broker's
# classpath) as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../fetch-with-maven.sh" "$here" kafka kafka.version
