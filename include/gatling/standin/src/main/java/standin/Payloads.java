package standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** scenario.requests: a JSON list of {"path", "weight"}; each request draws one payload by weight. */
public final class Payloads {
  private final List<byte[]> bodies = new ArrayList<>();
  private final List<Integer> cumulative = new ArrayList<>();

  public Payloads(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("scenario.requests is not JSON: " + e.getMessage(), e);
    }
    int total = 0;
    for (JsonNode item : root) {
      bodies.add(read(item.get("path").asText()));
      total += item.get("weight").asInt();
      cumulative.add(total);
    }
  }

  public byte[] next() {
    int draw = ThreadLocalRandom.current().nextInt(Math.max(1, cumulative.get(cumulative.size() - 1)));
    for (int i = 0; i < cumulative.size(); i++) {
      if (draw < cumulative.get(i)) {
        return bodies.get(i);
      }
    }
    return bodies.get(bodies.size() - 1);
  }

  private static byte[] read(String path) {
    try {
      Path file = Path.of(path);
      if (Files.isRegularFile(file)) {
        return Files.readAllBytes(file);
      }
      try (InputStream in = Payloads.class.getResourceAsStream(path.startsWith("/") ? path : "/" + path)) {
        if (in == null) {
          throw new IllegalArgumentException("payload file not found: " + path);
        }
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
