package sagemakersizing.gatling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The scenario's settings, read from the system properties of intuit's sagemaker-gatling jar.
 *
 * <p>Credentials never come from here: the {@code auth.*} properties that perfsizesagemaker passes
 * are accepted for compatibility and ignored (see {@link RequestSigning}).
 */
public record ScenarioSettings(
    URI baseUri,
    String region,
    String endpoint,
    double rampStartTps,
    double rampMinutes,
    double steadyStateTps,
    double steadyStateMinutes,
    List<WeightedPath> requests,
    String contentType,
    double warmUpSeconds) {

  /** One entry of {@code scenario.requests}: a payload file and its percentage of requests. */
  public record WeightedPath(String path, int weight) {}

  // SageMaker endpoint names: alphanumerics and hyphens, at most 63 characters.
  private static final Pattern ENDPOINT_NAME = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
  private static final ObjectMapper JSON = new ObjectMapper();

  public static ScenarioSettings fromSystemProperties() {
    return from(System.getProperties());
  }

  public static ScenarioSettings from(Properties props) {
    String region = props.getProperty("sagemaker.region", "us-west-2").trim();
    if (region.isEmpty()) {
      throw new SettingsException("sagemaker.region is empty");
    }
    String host = props.getProperty("sagemaker.host", "runtime.sagemaker." + region + ".amazonaws.com");
    String endpoint = required(props, "sagemaker.endpoint");
    if (!ENDPOINT_NAME.matcher(endpoint).matches()) {
      throw new SettingsException("sagemaker.endpoint is not a valid SageMaker endpoint name: " + endpoint);
    }
    double rampStartTps = number(props, "scenario.rampStartTps", 0);
    double rampMinutes = number(props, "scenario.rampMinutes", 0);
    double steadyStateTps = number(props, "scenario.steadyStateTps", Double.NaN);
    double steadyStateMinutes = number(props, "scenario.steadyStateMinutes", Double.NaN);
    if (rampMinutes == 0 && steadyStateMinutes == 0) {
      throw new SettingsException("scenario.rampMinutes and scenario.steadyStateMinutes cannot both be zero");
    }
    if (steadyStateTps == 0 && (steadyStateMinutes > 0 || rampStartTps == 0)) {
      throw new SettingsException("scenario.steadyStateTps must be above zero");
    }
    String contentType = props.getProperty("scenario.contentType", "application/json");
    // Not a sagemaker-gatling property: an optional unrecorded (silent) load before the clock starts.
    double warmUpSeconds = number(props, "scenario.warmUpSeconds", 0);
    return new ScenarioSettings(
        baseUri(host),
        region,
        endpoint,
        rampStartTps,
        rampMinutes,
        steadyStateTps,
        steadyStateMinutes,
        requests(required(props, "scenario.requests")),
        contentType,
        warmUpSeconds);
  }

  /** Path of the invocation, relative to the base URI. */
  public String invocationPath() {
    String prefix = baseUri.getPath() == null ? "" : baseUri.getPath().replaceAll("/+$", "");
    return prefix + "/endpoints/" + endpoint + "/invocations";
  }

  public boolean isHttps() {
    return "https".equals(baseUri.getScheme());
  }

  public int port() {
    return baseUri.getPort() != -1 ? baseUri.getPort() : isHttps() ? 443 : 80;
  }

  public static Duration minutes(double minutes) {
    return Duration.ofMillis(Math.round(minutes * 60_000));
  }

  // A bare host name means https, as in sagemaker-gatling; an explicit http:// serves the local emulator.
  static URI baseUri(String host) {
    String trimmed = host.trim();
    if (trimmed.isEmpty()) {
      throw new SettingsException("sagemaker.host is empty");
    }
    String withScheme = trimmed.contains("://") ? trimmed : "https://" + trimmed;
    URI uri;
    try {
      uri = URI.create(withScheme);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("sagemaker.host is not a valid host or URL: " + host);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new SettingsException("sagemaker.host must use http or https: " + host);
    }
    if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
      throw new SettingsException("sagemaker.host is not a valid host or URL: " + host);
    }
    return uri;
  }

  static List<WeightedPath> requests(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (Exception e) {
      throw new SettingsException("scenario.requests is not valid JSON: " + oneLine(e.getMessage()));
    }
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw new SettingsException("scenario.requests must be a non-empty JSON list of {\"path\", \"weight\"}");
    }
    List<WeightedPath> out = new ArrayList<>();
    int sum = 0;
    for (JsonNode item : root) {
      JsonNode path = item.get("path");
      JsonNode weight = item.get("weight");
      if (path == null || !path.isTextual() || path.asText().isBlank()) {
        throw new SettingsException("scenario.requests: every entry needs a \"path\" string");
      }
      if (weight == null || !weight.canConvertToExactIntegral() || weight.asInt() < 0) {
        throw new SettingsException("scenario.requests: \"weight\" must be a whole number >= 0, got " + weight);
      }
      out.add(new WeightedPath(path.asText(), weight.asInt()));
      sum += weight.asInt();
    }
    if (sum != 100) {
      throw new SettingsException("scenario.requests: weights must total 100, got " + sum);
    }
    return List.copyOf(out);
  }

  private static String required(Properties props, String key) {
    String value = props.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new SettingsException("missing required property -D" + key);
    }
    return value.trim();
  }

  private static double number(Properties props, String key, double fallback) {
    String raw = props.getProperty(key);
    if (raw == null || raw.isBlank()) {
      if (Double.isNaN(fallback)) {
        throw new SettingsException("missing required property -D" + key);
      }
      return fallback;
    }
    double value;
    try {
      value = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw new SettingsException(key + " is not a number: " + raw);
    }
    if (!Double.isFinite(value) || value < 0) {
      throw new SettingsException(key + " must be a finite number >= 0, got " + raw);
    }
    return value;
  }

  static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s+", " ").trim();
  }
}
