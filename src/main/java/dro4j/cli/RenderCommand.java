package dro4j.cli;

import dro4j.text.ChatMessage;
import dro4j.text.ChatTemplate;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dro4j render}: the chat template applied to a conversation, exactly as rendered. */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = "Print the chat prompt rendered by the model's chat template (no trailing newline added)."
        + " Needs only tokenizer_config.json, not the weights.")
final class RenderCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--chat", paramLabel = "FILE.json", required = true,
      description = "JSON list of {\"role\",\"content\"} messages.")
  Path chat;

  @Mixin TemplateOptions templateOptions;

  @Option(names = "--no-generation-prompt", description = "Do not append the assistant generation prompt.")
  boolean noGenerationPrompt;

  @Override
  public Integer call() {
    ChatTemplate template = ChatTemplate.load(model.resolve());
    String rendered = template.render(ChatMessage.readJson(chat), !noGenerationPrompt, templateOptions.resolve());
    spec.commandLine().getOut().print(rendered);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
