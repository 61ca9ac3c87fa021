package sagemakersizing.gatling;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The payloads of {@code scenario.requests}, read once into memory, drawn by weight.
 *
 * <p>A path is found as sagemaker-gatling finds it: absolute, relative to the working directory,
 * or as a resource inside the jar.
 */
public final class RequestMix {
  private final byte[][] payloads;
  // cumulative[i] = sum of weights 0..i; a draw in [0, 100) picks the first index above it.
  private final int[] cumulative;

  private RequestMix(byte[][] payloads, int[] cumulative) {
    this.payloads = payloads;
    this.cumulative = cumulative;
  }

  public static RequestMix load(List<ScenarioSettings.WeightedPath> requests) {
    byte[][] payloads = new byte[requests.size()][];
    int[] cumulative = new int[requests.size()];
    int running = 0;
    for (int i = 0; i < requests.size(); i++) {
      payloads[i] = read(requests.get(i).path());
      running += requests.get(i).weight();
      cumulative[i] = running;
    }
    return new RequestMix(payloads, cumulative);
  }

  /** Index of the next payload, drawn with the configured weights. */
  public int nextIndex() {
    if (payloads.length == 1) {
      return 0;
    }
    int draw = ThreadLocalRandom.current().nextInt(100);
    for (int i = 0; i < cumulative.length; i++) {
      if (draw < cumulative[i]) {
        return i;
      }
    }
    return cumulative.length - 1; // unreachable: weights total 100
  }

  public byte[] payload(int index) {
    return payloads[index];
  }

  public int size() {
    return payloads.length;
  }

  private static byte[] read(String path) {
    try {
      Path file = Path.of(path);
      if (Files.isRegularFile(file)) {
        return Files.readAllBytes(file);
      }
    } catch (IOException | RuntimeException e) {
      throw new SettingsException("cannot read payload file " + path + ": " + ScenarioSettings.oneLine(e.getMessage()));
    }
    String resource = path.startsWith("/") ? path : "/" + path;
    try (InputStream in = RequestMix.class.getResourceAsStream(resource)) {
      if (in != null) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new SettingsException("cannot read payload resource " + resource + ": " + e.getMessage());
    }
    throw new SettingsException("payload file not found: " + path);
  }
}
