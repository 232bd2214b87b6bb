package dro4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dro4j.BadInputException;
import dro4j.Fixtures;
import dro4j.LanguageModel;
import dro4j.rl.config.GrpoConfig;
import org.junit.jupiter.api.Test;

/**
 * The {@code device} setting: names are checked, a model and its copies live on the device they were
 * loaded on, and CUDA where PyTorch sees no GPU (the CPU libtorch of the tests) is a clear error.
 * That the libtorch path then runs on the device is the rest of the suite, which runs it on the CPU
 * through the same code (nothing in the model, generation or training code names a device).
 */
class DeviceTest {

  @Test
  void namesAreCheckedBeforeTheEngineStarts() {
    for (String ok : new String[] {"cpu", "cuda", "cuda:0", "cuda:12", " cuda:1 "}) {
      TensorEngine.checkDeviceName(ok);
    }
    for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "CUDA", "mps", "", "cpu:0"}) {
      assertThatThrownBy(() -> TensorEngine.checkDeviceName(bad)).isInstanceOf(BadInputException.class)
          .hasMessageContaining("cpu, cuda or cuda:N");
    }
    assertThatThrownBy(() -> GrpoConfig.builder().device("tpu").build()).isInstanceOf(BadInputException.class)
        .hasMessageContaining("device").hasMessageContaining("tpu");
    assertThat(GrpoConfig.builder().device(" cpu").build().training().device()).isEqualTo("cpu");
    assertThat(GrpoConfig.defaults().training().device()).isEqualTo("cpu");
  }

  @Test
  void cpuModelsAndTheirCopiesStayOnTheCpuAndCudaWithoutAGpuIsAClearError() {
    assertThat(TensorEngine.device("cpu")).isEqualTo(Device.cpu());
    try (LanguageModel lm = LanguageModel.load(Fixtures.fixture("stories260K"), TensorEngine.device("cpu"));
        LanguageModel copy = lm.copy()) {
      assertThat(lm.device()).isEqualTo(Device.cpu());
      assertThat(copy.device()).isEqualTo(Device.cpu());
      assertThat(lm.transformer().parameters().values()).allSatisfy(p -> assertThat(p.getDevice()).isEqualTo(Device.cpu()));
    }
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    assertThatThrownBy(() -> TensorEngine.device("cuda:" + gpus)).isInstanceOf(BadInputException.class)
        .hasMessageContaining("cuda:" + gpus).hasMessageContaining("sees");
    if (gpus == 0) {
      // the command line: a one-line error and a failure exit code, no stack trace
      java.io.StringWriter out = new java.io.StringWriter();
      java.io.StringWriter err = new java.io.StringWriter();
      int code = dro4j.cli.Main.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err), "generate", "--model",
          Fixtures.fixture("stories260K").toString(), "--prompt", "Once", "--device", "cuda");
      assertThat(code).isNotZero();
      assertThat(err.toString().strip()).doesNotContain("\n").contains("device cuda").contains("no CUDA device");
    }
  }
}
