package dro4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dro4j.LanguageModel;
import dro4j.rl.config.GrpoConfig;
import dro4j.rl.checkpoint.CheckpointStore;
import dro4j.rl.checkpoint.Checkpoints;
import dro4j.rl.metrics.MetricsLog;
import dro4j.rl.metrics.MetricsRecorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real checkpoints on disk: a run killed while writing its second checkpoint resumes from the first
 * one and ends bit-identical to a run that was never interrupted; metrics and plots are written.
 */
class CheckpointResumeTest {

  @Test
  void killDuringACheckpointWriteThenResumeEqualsAStraightRun(@TempDir Path dir) throws Exception {
    Path straightDir = dir.resolve("straight");
    Path crashedDir = dir.resolve("crashed");
    GrpoConfig.Builder base = GrpoTrainerTest.tiny().saveSteps(2).numIterations(2).beta(0.04).loggingSteps(1);

    Map<String, float[]> straightWeights;
    try (LanguageModel lm = LanguageModel.loadDefault();
        MetricsRecorder metrics = new MetricsRecorder(straightDir, 0);
        GrpoTrainer t = GrpoTrainer.builder(base.outputDir(straightDir).build()).policy(lm)
            .reward(GrpoTrainerTest.LENGTH, 1.0).checkpoints(new CheckpointStore()).listener(metrics).build()) {
      t.train();
      straightWeights = GrpoTrainerTest.weights(lm);
    }
    assertThat(straightDir.resolve("checkpoint-2")).isDirectory();
    assertThat(straightDir.resolve("checkpoint-4")).isDirectory();
    assertThat(MetricsLog.read(straightDir.resolve("metrics.jsonl"))).extracting(MetricsLog.Row::step)
        .containsExactly(1L, 2L, 3L, 4L);
    assertThat(straightDir.resolve("plots").resolve("reward_loss.png")).isRegularFile();
    // a checkpoint is a model folder our runtime loads unchanged
    try (LanguageModel fromCheckpoint = LanguageModel.load(straightDir.resolve("checkpoint-4"))) {
      GrpoTrainerTest.assertSameWeights(straightWeights, GrpoTrainerTest.weights(fromCheckpoint));
    }

    // The same run, killed in the middle of writing checkpoint-4 (after its weights file).
    AtomicInteger saves = new AtomicInteger();
    CheckpointStore crashing = new CheckpointStore((stage, detail) -> {
      if (stage == Checkpoints.Stage.TEMP_FOLDER_CREATED) {
        saves.incrementAndGet();
      }
      if (saves.get() == 2 && stage == Checkpoints.Stage.MODEL_WRITTEN) {
        throw new Error("simulated kill");
      }
    });
    try (LanguageModel lm = LanguageModel.loadDefault();
        MetricsRecorder metrics = new MetricsRecorder(crashedDir, 0);
        GrpoTrainer t = GrpoTrainer.builder(base.outputDir(crashedDir).build()).policy(lm)
            .reward(GrpoTrainerTest.LENGTH, 1.0).checkpoints(crashing).listener(metrics).build()) {
      assertThatThrownBy(t::train).hasMessageContaining("simulated kill");
    }
    CheckpointStore store = new CheckpointStore();
    Path latest = store.latest(crashedDir).orElseThrow();
    assertThat(latest.getFileName().toString()).isEqualTo("checkpoint-2");

    // --resume: policy from the checkpoint folder, optimizer state and step from its trainer state.
    ResumeState state = store.load(latest);
    assertThat(state.step()).isEqualTo(2);
    try (LanguageModel resumed = LanguageModel.load(latest);
        MetricsRecorder metrics = new MetricsRecorder(crashedDir, state.step());
        GrpoTrainer t = GrpoTrainer.builder(base.outputDir(crashedDir).build()).policy(resumed)
            .reward(GrpoTrainerTest.LENGTH, 1.0).checkpoints(store).listener(metrics).resumeFrom(state).build()) {
      t.train();
      GrpoTrainerTest.assertSameWeights(straightWeights, GrpoTrainerTest.weights(resumed));
    }
    assertThat(store.latest(crashedDir).orElseThrow().getFileName().toString()).isEqualTo("checkpoint-4");
    assertThat(MetricsLog.read(crashedDir.resolve("metrics.jsonl"))).extracting(MetricsLog.Row::step)
        .containsExactly(1L, 2L, 3L, 4L);
    try (var files = Files.list(crashedDir)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))).isEmpty();
    }
  }
}
