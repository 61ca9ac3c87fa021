package sagemakersizing.gatling;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Main class of the jar: checks that the run can happen, then hands over to Gatling's own main
 * ({@code -s GenericSageMakerScenario -rf DIR}, as perfsizesagemaker calls it).
 *
 * <p>A run that cannot happen exits 2 with one line on stderr. A finished run exits 0 even when
 * requests failed: the verdict belongs to the parser.
 */
public final class Launcher {
  public static final String SCENARIO = "GenericSageMakerScenario";
  private static final int EXIT_CANNOT_RUN = 2;
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private Launcher() {}

  public static void main(String[] args) throws java.io.IOException {
    if (args.length == 2 && args[0].equals("--cds-training")) {
      args = CdsTraining.prepare(java.nio.file.Path.of(args[1]));
    }
    List<String> gatlingArgs = new ArrayList<>(List.of(args));
    String simulation = optionValue(gatlingArgs, "-s", "--simulation");
    if (simulation == null) {
      gatlingArgs.add("-s");
      gatlingArgs.add(SCENARIO);
      simulation = SCENARIO;
    }
    if (simulation.equals(SCENARIO) || simulation.equals(SageMakerSimulation.class.getName())) {
      try {
        preflight();
      } catch (SettingsException e) {
        System.err.println("sagemaker-sizing-gatling: cannot run: " + e.getMessage());
        System.exit(EXIT_CANNOT_RUN);
      }
    }
    // Nothing leaves the machine but the load itself: no usage analytics, no warm-up request.
    System.setProperty("gatling.data.enableAnalytics", "false");
    System.setProperty("gatling.http.warmUpUrl", "");
    io.gatling.app.Gatling.main(gatlingArgs.toArray(String[]::new));
  }

  static void preflight() {
    ScenarioSettings settings = ScenarioSettings.fromSystemProperties();
    RequestMix.load(settings.requests());
    RequestSigning signing = RequestSigning.forSettings(settings, System.getenv());
    if (signing != null) {
      signing.checkCredentials();
    }
    checkReachable(settings.baseUri().getHost(), settings.port());
  }

  static void checkReachable(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
    } catch (IOException | IllegalArgumentException e) {
      throw new SettingsException(
          "host " + host + ":" + port + " is unreachable: " + ScenarioSettings.oneLine(String.valueOf(e.getMessage())));
    }
  }

  private static String optionValue(List<String> args, String shortName, String longName) {
    for (int i = 0; i < args.size() - 1; i++) {
      if (args.get(i).equals(shortName) || args.get(i).equals(longName)) {
        return args.get(i + 1);
      }
    }
    return null;
  }
}
