package dro4j.reward.judge;

import dro4j.BadInputException;
import java.net.URI;
import java.time.Duration;

/**
 * Where and how to reach an OpenAI-compatible chat completions API (OpenAI, vLLM, SGLang,
 * llama.cpp's server, ...).
 *
 * @param baseUrl the API base URL as in the OpenAI SDKs, with the version segment, e.g. {@code
 *     https://api.openai.com/v1} or {@code http://127.0.0.1:8000/v1}; requests go to {@code
 *     baseUrl + "/chat/completions"}
 * @param model the model name sent in each request
 * @param apiKeyEnv the name of the environment variable holding the API key, sent as {@code
 *     Authorization: Bearer ...}; null for servers without authentication
 * @param timeout the limit for one request, connection included (default 60 s)
 * @param maxRetries how many times a failed request is retried (default 3): on HTTP 429, any 5xx,
 *     a timeout or a connection error; other statuses fail at once
 * @param backoff the wait before the first retry, doubled for each further one (default 1 s); a
 *     {@code Retry-After} header in seconds is honoured up to 60 s
 * @param temperature the sampling temperature (default 0: judges should be deterministic)
 * @param maxTokens the {@code max_tokens} of each request, or null to leave it to the server
 */
public record ChatEndpoint(
    String baseUrl, String model, String apiKeyEnv, Duration timeout, int maxRetries, Duration backoff,
    double temperature, Integer maxTokens) {

  /** Checks every field; problems are {@link BadInputException}s naming the config key. */
  public ChatEndpoint {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new BadInputException("judge: base_url is required (e.g. http://127.0.0.1:8000/v1)");
    }
    URI uri;
    try {
      uri = URI.create(baseUrl);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("judge: base_url '" + baseUrl + "' is not a URL");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new BadInputException("judge: base_url '" + baseUrl + "' must be an http(s) URL with a host");
    }
    if (model == null || model.isBlank()) {
      throw new BadInputException("judge: model is required");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new BadInputException("judge: timeout must be positive");
    }
    if (maxRetries < 0) {
      throw new BadInputException("judge: max_retries must be >= 0, got " + maxRetries);
    }
    if (backoff == null || backoff.isNegative()) {
      throw new BadInputException("judge: backoff must be >= 0");
    }
    if (!(temperature >= 0)) {
      throw new BadInputException("judge: temperature must be >= 0, got " + temperature);
    }
    if (maxTokens != null && maxTokens < 1) {
      throw new BadInputException("judge: max_tokens must be >= 1, got " + maxTokens);
    }
  }

  /** An endpoint with the defaults above. */
  public static ChatEndpoint of(String baseUrl, String model) {
    return new ChatEndpoint(baseUrl, model, null, Duration.ofSeconds(60), 3, Duration.ofSeconds(1), 0.0, null);
  }

  /** The chat completions URL. */
  public URI completionsUri() {
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    return URI.create(base + "/chat/completions");
  }
}
