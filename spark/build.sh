#!/usr/bin/env bash
# Builds dro4j-spark from a checkout: installs the root artifact (dro4j's classes without their
# dependencies, as a library) into ~/.m2, then packages this sub-build into
#   spark/target/dro4j-spark.jar       Spark inside:   java -jar spark/target/dro4j-spark.jar eval ... --master local[N]
#   spark/target/dro4j-spark-thin.jar  Spark provided: spark-submit --class dro4j.cli.SparkMain spark/target/dro4j-spark-thin.jar eval ...
# Extra arguments go to both Maven runs (e.g. -o offline, -DskipTests). The root build is unchanged:
# its target/dro4j.jar and `mvn test` know nothing of Spark.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests "$@"
# target/original-dro4j.jar is the root jar before shading: dro4j's own classes, its dependencies
# declared by the root pom
mvn -B -q org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file -Dfile=target/original-dro4j.jar -DpomFile=pom.xml "$@"
mvn -B -q -f spark/pom.xml package "$@"
ls -l spark/target/dro4j-spark.jar spark/target/dro4j-spark-thin.jar
