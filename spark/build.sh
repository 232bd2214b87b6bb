#!/usr/bin/env bash
# Builds dro4j-spark from a checkout: installs the root artifact (dro4j's classes without their
# dependencies, as a library) into ~/.m2, then packages (and tests) this sub-build into
#   spark/target/dro4j-spark.jar       Spark inside:   java -jar spark/target/dro4j-spark.jar eval ... --master local[N]
#   spark/target/dro4j-spark-thin.jar  Spark provided: spark-submit --class dro4j.cli.SparkMain spark/target/dro4j-spark-thin.jar eval ...
# Extra arguments go to every Maven run (e.g. -o offline, -DskipTests). The root build is unchanged:
# its target/dro4j.jar and `mvn test` know nothing of Spark (spark/bench.sh also wants target/dro4j.jar:
# `mvn -B package -DskipTests` at the root).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q compile "$@"
# dro4j as a library: its own classes and resources, its dependencies declared by the root pom (the
# root's target/dro4j.jar has them all inside, and shading again without `clean` can leave that jar in
# target/original-dro4j.jar too, so neither is installed)
jar --create --file target/dro4j-library.jar -C target/classes .
mvn -B -q org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file -Dfile=target/dro4j-library.jar -DpomFile=pom.xml "$@"
mvn -B -q -f spark/pom.xml package "$@"
ls -l spark/target/dro4j-spark.jar spark/target/dro4j-spark-thin.jar
