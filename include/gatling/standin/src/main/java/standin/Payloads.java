package standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * scenario.requests as intuit's FileWeightDistribution and FileHelper read it: a non-empty JSON
 * list of {"path", "weight"}, weights >= 0 totalling exactly 100; each path a regular file
 * (absolute or relative to the working directory), else a resource of the jar; each file read
 * with the JVM's default charset (a byte it cannot decode stops the run: Scala's Source reports
 * malformed input) and its lines joined with nothing between them (no newline is ever sent).
 */
public final class Payloads {
  private final List<String> bodies = new ArrayList<>();
  private final List<Integer> weights = new ArrayList<>();

  public Payloads(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("scenario.requests is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw new IllegalArgumentException("fileWeightJson must contain at least one element");
    }
    int sum = 0;
    for (JsonNode item : root) {
      int weight = item.get("weight").asInt();
      if (weight < 0) {
        throw new IllegalArgumentException("fileWeight.weight cannot be negative, got: " + weight);
      }
      sum += weight;
      weights.add(weight);
    }
    if (sum != 100) {
      throw new IllegalArgumentException("Request payload weights must total 100, got: " + sum);
    }
    for (JsonNode item : root) {
      bodies.add(read(item.get("path").asText()));
    }
  }

  public String next() {
    if (bodies.size() == 1) {
      return bodies.get(0);
    }
    int draw = ThreadLocalRandom.current().nextInt(100);
    int bound = 0;
    for (int i = 0; i < weights.size(); i++) {
      bound += weights.get(i);
      if (draw < bound) {
        return bodies.get(i);
      }
    }
    throw new IllegalStateException("Did not find file index for random number " + draw);
  }

  private static String read(String path) {
    try {
      Path file = Path.of(path);
      if (Files.isRegularFile(file)) {
        return joinedLines(Files.newInputStream(file));
      }
      String resource = path.startsWith("/") ? path : "/" + path;
      InputStream in = Payloads.class.getResourceAsStream(resource);
      if (in == null) {
        throw new IllegalArgumentException("Unable to find resource " + resource);
      }
      return joinedLines(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String joinedLines(InputStream in) throws IOException {
    var decoder =
        Charset.defaultCharset()
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, decoder))) {
      return reader.lines().collect(Collectors.joining());
    }
  }
}
