package dro4j.reward.judge;

/** A chat model that answers one system and one user message, the only call a judge makes. */
@FunctionalInterface
public interface ChatClient {
  /**
   * The assistant's reply.
   *
   * @throws JudgeException when no reply could be obtained
   */
  String complete(String system, String user);
}
