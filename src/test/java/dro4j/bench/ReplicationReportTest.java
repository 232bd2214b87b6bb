package dro4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dro4j.bench.ReplicationReport.EvalPoint;
import dro4j.bench.ReplicationReport.StepRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replication's tables from hand-made run folders. */
class ReplicationReportTest {
  @TempDir Path out;

  @Test
  void thresholdTimeAndReasoningLengthByHand() {
    List<EvalPoint> curve = List.of(new EvalPoint(0, 0.375), new EvalPoint(5, 0.42), new EvalPoint(10, 0.4375));
    assertThat(ReplicationReport.stepsToThreshold(curve, 0.4375)).isEqualTo(10);
    assertThat(ReplicationReport.stepsToThreshold(curve, 0.375)).isZero();
    assertThat(ReplicationReport.stepsToThreshold(curve, 0.5)).isEqualTo(-1);
    List<StepRecord> steps = List.of(new StepRecord(1, 10, 8, 3), new StepRecord(2, 2, 0, 3), new StepRecord(3, 4, 0, 3));
    assertThat(ReplicationReport.secondsUntil(steps, 2)).isEqualTo(12.0);
    assertThat(ReplicationReport.reasoningWords("<think> the a of 2017 is 5 . </think> add(1, 2)")).isEqualTo(7);
    assertThat(ReplicationReport.reasoningWords("<think> unfinished")).isEqualTo(1);
    assertThat(ReplicationReport.meanSd(List.of(0.25, 0.5))).isEqualTo("0.375 ± 0.177");
  }

  @Test
  void tablesFromRunFolders() throws Exception {
    run("sft-seed1", null, "{\"pass@1\": 0.3, \"pass@2\": 0.4}");
    run("r3-seed1", """
        {"step":1,"eval_start/pass@1":0.375,"eval_start/seconds":3.0,"filter/seconds":30.0,"time/step":43.0}
        {"step":2,"time/step":5.0,"eval/pass@1":0.5}
        """, "{\"pass@1\": 0.5, \"pass@2\": 0.6}");
    run("r3-seed2", """
        {"step":1,"eval_start/pass@1":0.375,"time/step":10.0}
        {"step":2,"time/step":5.0,"eval/pass@1":0.375}
        """, "{\"pass@1\": 0.3, \"pass@2\": 0.6}");
    Files.writeString(out.resolve("r3-seed1/completions.jsonl"), """
        {"step":1,"completion":"<think> a b c d </think> add(1, 2)"}
        {"step":2,"completion":"<think> a b </think> add(1, 2)"}
        """);
    Files.createDirectories(out.resolve("stray"));
    String md = ReplicationReport.report(ReplicationReport.read(out), 0.4375);
    assertThat(md).contains("| sft | 1 | 0.300 | 0.400 |")
        .contains("| r3 | 1 2 | 0.400 ± 0.141 | 0.600 ± 0.000 |")
        .contains("| r3 | 1 | 0: 0.375, 2: 0.500 | 2 | 45 | 45 | 30 |")
        .contains("| r3 | 2 | 0: 0.375, 2: 0.375 | not reached | – | 15 | 0 |")
        .contains("| r3 | 1 2 | 3.000 | 3.000 |");
    assertThat(md.indexOf("| sft |")).isLessThan(md.indexOf("| r3 |"));
  }

  private void run(String name, String metrics, String summary) throws Exception {
    Path dir = Files.createDirectories(out.resolve(name).resolve("eval"));
    Files.writeString(dir.resolve("summary.json"), summary);
    if (metrics != null) Files.writeString(out.resolve(name).resolve("metrics.jsonl"), metrics);
  }
}
