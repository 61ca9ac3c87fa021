import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import standin.Payloads;
import standin.SigV4;

/**
 * The stand-in for intuit's GenericSageMakerScenario (see pom.xml): its behaviour as seen with
 * the genuine jar (Gatling 3.2.0), not its code.
 *
 * <ul>
 *   <li>every setting from {@code ConfigFactory.load()} (system properties, then the file named
 *       by -Dconfig.file, else application.conf, whose defaults are the same keys as intuit's);
 *   <li>POST {@code "https://" + sagemaker.host + "/endpoints/" + endpoint + "/invocations"},
 *       signed per request (SigV4 over the configured host string, see SigV4);
 *   <li>on the wire: Content-Type and Accept {@code application/json} (intuit's sets "plain/text"
 *       and then {@code .asJson}, which replaces it), X-Amz-Date, X-Amz-Security-Token (always),
 *       Authorization, a {@code tid} UUID;
 *   <li>one connection per virtual user (no shared pool: Gatling's default), one request per user;
 *   <li>Gatling's own defaults otherwise: the warm-up GET to {@code gatling.http.warmUpUrl}
 *       (https://gatling.io) and analytics on, unless system properties say otherwise.
 * </ul>
 */
public class GenericSageMakerScenario extends Simulation {
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  public GenericSageMakerScenario() {
    Config conf = ConfigFactory.load();
    double rampStartTps = conf.getDouble("scenario.rampStartTps");
    double rampMinutes = conf.getDouble("scenario.rampMinutes");
    double steadyStateTps = conf.getDouble("scenario.steadyStateTps");
    double steadyStateMinutes = conf.getDouble("scenario.steadyStateMinutes");
    Payloads payloads = new Payloads(conf.getString("scenario.requests"));
    String accessKey = conf.getString("auth.awsAccessKeyId");
    String secretKey = conf.getString("auth.awsSecretAccessKey");
    String sessionToken = conf.getString("auth.awsSessionToken");
    String host = conf.getString("sagemaker.host");
    String region = conf.getString("sagemaker.region");
    String endpoint = conf.getString("sagemaker.endpoint");
    String url = "https://" + host + "/endpoints/" + endpoint + "/invocations";
    SigV4 signer = new SigV4(accessKey, secretKey, sessionToken, region);

    Iterator<Map<String, Object>> feeder =
        Stream.generate(
                () -> {
                  String payload = payloads.next();
                  String amzDate = ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
                  return Map.<String, Object>of(
                      "tid", UUID.randomUUID().toString(),
                      "nextRequest", payload,
                      "amzDate", amzDate,
                      "authorizationHeader", signer.authorization(host, endpoint, payload, amzDate));
                })
            .iterator();

    var invoke =
        http("SageMaker-" + endpoint)
            .post(url)
            .header("Authorization", "#{authorizationHeader}")
            .header("X-Amz-Date", "#{amzDate}")
            .header("X-Amz-Security-Token", sessionToken)
            .header("tid", "#{tid}")
            .body(StringBody(session -> session.getString("nextRequest")))
            .asJson()
            .check(status().is(200))
            .check(bodyString().saveAs("responseBody"));

    if (rampMinutes == 0 && steadyStateMinutes == 0) {
      throw new IllegalArgumentException("Ramp and steady state durations cannot both be zero.");
    }
    OpenInjectionStep ramp =
        rampMinutes != 0
            ? rampUsersPerSec(rampStartTps).to(steadyStateTps).during(minutes(rampMinutes))
            : nothingFor(Duration.ofSeconds(1));
    OpenInjectionStep steady =
        steadyStateMinutes != 0
            ? constantUsersPerSec(steadyStateTps).during(minutes(steadyStateMinutes))
            : nothingFor(Duration.ofSeconds(1));
    setUp(scenario("SageMaker").feed(feeder).exec(invoke).exitHereIfFailed().injectOpen(ramp, steady))
        .protocols(http);
  }

  private static Duration minutes(double minutes) {
    return Duration.ofMillis(Math.round(minutes * 60_000));
  }
}
