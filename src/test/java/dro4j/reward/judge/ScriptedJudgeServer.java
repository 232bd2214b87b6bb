package dro4j.reward.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** An OpenAI-style chat completions server on loopback whose replies a test scripts. */
final class ScriptedJudgeServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One scripted reply: status, body, delay before answering, extra headers. */
  record Reply(int status, String body, long delayMs, Map<String, String> headers) {
    static Reply verdict(String content) {
      return new Reply(200, chat(content), 0, Map.of());
    }

    static Reply status(int status) {
      return new Reply(status, "{\"error\": {\"message\": \"scripted " + status + "\"}}", 0, Map.of());
    }
  }

  /** A request as received: the JSON body and the Authorization header. */
  record Request(JsonNode body, String authorization) {
    String user() {
      return body.get("messages").get(1).get("content").asText();
    }
  }

  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final Function<Request, Reply> responder;

  ScriptedJudgeServer(Function<Request, Reply> responder) throws IOException {
    this.responder = responder;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/chat/completions", this::handle);
    server.setExecutor(pool); // several at once: a delayed reply must not block the retry
    server.start();
  }

  /** A server that answers the n-th request with {@code replies[n]} (the last one repeats). */
  static ScriptedJudgeServer sequence(Reply... replies) throws IOException {
    int[] next = {0};
    return new ScriptedJudgeServer(r -> {
      synchronized (next) {
        return replies[Math.min(next[0]++, replies.length - 1)];
      }
    });
  }

  /** The OpenAI chat completion body with {@code content} as the assistant message. */
  static String chat(String content) {
    var root = JSON.createObjectNode();
    root.put("id", "chatcmpl-test").put("object", "chat.completion");
    var choice = root.putArray("choices").addObject();
    choice.put("index", 0).put("finish_reason", "stop");
    choice.putObject("message").put("role", "assistant").put("content", content);
    return root.toString();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Request request = new Request(JSON.readTree(exchange.getRequestBody().readAllBytes()),
          exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(request);
      Reply reply = responder.apply(request);
      if (reply.delayMs() > 0) {
        Thread.sleep(reply.delayMs());
      }
      byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(reply.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client gave up (timeout test): nothing to answer
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
