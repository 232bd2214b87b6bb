package dro4j.reward.judge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dro4j.BadInputException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@link ChatClient} over an OpenAI-compatible {@code POST /chat/completions}, with {@code
 * java.net.http}. Sends {@code {"model", "messages": [system, user], "temperature", "max_tokens"?}}
 * and returns {@code choices[0].message.content} (an empty string when the content is null).
 *
 * <p>A request that times out, fails to connect, or gets HTTP 429 or 5xx is retried up to {@link
 * ChatEndpoint#maxRetries()} times, waiting {@code backoff * 2^attempt} (or the server's {@code
 * Retry-After} seconds, at most 60 s) in between; any other non-2xx status, a malformed body, or the
 * last failed attempt throws {@link JudgeException} with the status and the start of the body. The
 * API key never appears in messages. Thread-safe: judges call it from several threads.
 */
public final class OpenAiChatClient implements ChatClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

  private final ChatEndpoint endpoint;
  private final String apiKey;
  private final HttpClient http;

  /** A client reading the API key from the process environment. */
  public OpenAiChatClient(ChatEndpoint endpoint) {
    this(endpoint, System::getenv);
  }

  /**
   * A client reading the API key with {@code environment} (tests pass a map's {@code get}).
   *
   * @throws BadInputException when {@code apiKeyEnv} names a variable that is unset or blank
   */
  public OpenAiChatClient(ChatEndpoint endpoint, Function<String, String> environment) {
    this.endpoint = endpoint;
    if (endpoint.apiKeyEnv() != null && !endpoint.apiKeyEnv().isEmpty()) {
      String key = environment.apply(endpoint.apiKeyEnv());
      if (key == null || key.isBlank()) {
        throw new BadInputException("judge: the environment variable " + endpoint.apiKeyEnv()
            + " (api_key_env) is not set; set it to the API key, or leave api_key_env out for a server without keys");
      }
      this.apiKey = key.strip();
    } else {
      this.apiKey = null;
    }
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(endpoint.timeout())
        .build();
  }

  /** The endpoint this client calls. */
  public ChatEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public String complete(String system, String user) {
    HttpRequest request = request(body(system, user));
    String lastProblem = null;
    for (int attempt = 0; attempt <= endpoint.maxRetries(); attempt++) {
      Duration wait = backoff(attempt);
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          return content(response.body());
        }
        lastProblem = "HTTP " + status + ": " + snippet(response.body());
        if (status != 429 && status < 500) {
          throw new JudgeException("judge API " + endpoint.completionsUri() + " returned " + lastProblem);
        }
        wait = retryAfter(response).orElse(wait);
      } catch (HttpTimeoutException e) {
        lastProblem = "timed out after " + endpoint.timeout().toMillis() + " ms";
      } catch (IOException e) {
        lastProblem = "connection failed: " + e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JudgeException("interrupted while calling the judge API", e);
      }
      if (attempt < endpoint.maxRetries()) {
        sleep(wait);
      }
    }
    throw new JudgeException("judge API " + endpoint.completionsUri() + " failed after "
        + (endpoint.maxRetries() + 1) + " attempt(s); last: " + lastProblem);
  }

  private String body(String system, String user) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", endpoint.model());
    ArrayNode messages = root.putArray("messages");
    messages.addObject().put("role", "system").put("content", system);
    messages.addObject().put("role", "user").put("content", user);
    root.put("temperature", endpoint.temperature());
    if (endpoint.maxTokens() != null) {
      root.put("max_tokens", endpoint.maxTokens());
    }
    return root.toString();
  }

  private HttpRequest request(String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.completionsUri())
        .timeout(endpoint.timeout())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return b.build();
  }

  private static String content(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new JudgeException("judge API reply is not JSON: " + snippet(body));
    }
    JsonNode message = root == null ? null : root.path("choices").path(0).path("message");
    if (message == null || !message.isObject()) {
      throw new JudgeException("judge API reply has no choices[0].message: " + snippet(body));
    }
    JsonNode content = message.get("content");
    return content == null || content.isNull() ? "" : content.asText();
  }

  private Duration backoff(int attempt) {
    return endpoint.backoff().multipliedBy(1L << Math.min(attempt, 20));
  }

  private static Optional<Duration> retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(v -> {
      try {
        long seconds = Long.parseLong(v.strip());
        Duration d = Duration.ofSeconds(Math.max(0, seconds));
        return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
      } catch (NumberFormatException e) {
        return Optional.empty(); // an HTTP date: keep our own backoff
      }
    });
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JudgeException("interrupted while waiting to retry the judge API", e);
    }
  }

  private static String snippet(String body) {
    String s = body == null ? "" : body.strip().replaceAll("\\s+", " ");
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
