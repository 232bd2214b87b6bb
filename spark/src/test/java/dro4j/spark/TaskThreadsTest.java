package dro4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class TaskThreadsTest {
  static int threads(String master, int hostCores, String... settings) {
    SparkConf conf = new SparkConf(false).setMaster(master);
    for (int i = 0; i < settings.length; i += 2) conf.set(settings[i], settings[i + 1]);
    return TaskThreads.perTask(conf, hostCores);
  }

  @Test
  void tasksTimesThreadsNeverExceedsTheCores() {
    assertThat(threads("local", 16)).isEqualTo(16);
    assertThat(threads("local[2]", 16)).isEqualTo(8);
    assertThat(threads("local[2,3]", 16)).isEqualTo(8);
    assertThat(threads("local[3]", 16)).isEqualTo(5);
    assertThat(threads("local[*]", 16)).isEqualTo(1);
    assertThat(threads("local[32]", 16)).isEqualTo(1); // more slots than cores: one thread each
    assertThat(threads("local[4]", 16, "spark.task.cpus", "2")).isEqualTo(8); // 2 tasks at once
    // a cluster executor: its cores shared by cores / spark.task.cpus slots
    assertThat(threads("spark://h:7077", 64, "spark.executor.cores", "8")).isEqualTo(1);
    assertThat(threads("yarn", 64, "spark.executor.cores", "8", "spark.task.cpus", "4")).isEqualTo(4);
    assertThat(threads("yarn", 4, "spark.executor.cores", "8", "spark.task.cpus", "4")).isEqualTo(2); // host has fewer
  }
}
