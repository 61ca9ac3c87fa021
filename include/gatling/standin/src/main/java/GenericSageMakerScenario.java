import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import standin.Payloads;
import standin.SigV4;

/**
 * The stand-in for intuit's GenericSageMakerScenario (see pom.xml): same system properties, same
 * URL, same signing, credentials from the Typesafe config only.
 */
public class GenericSageMakerScenario extends Simulation {
  private static final String BODY = "body";

  public GenericSageMakerScenario() {
    // application.conf, or the file named by -Dconfig.file; -D properties override both.
    Config config = ConfigFactory.load();
    String region = System.getProperty("sagemaker.region", "us-west-2");
    String host = System.getProperty("sagemaker.host", "runtime.sagemaker." + region + ".amazonaws.com");
    String endpoint = System.getProperty("sagemaker.endpoint");
    String url = "https://" + host + "/endpoints/" + endpoint + "/invocations";
    double rampStartTps = number("scenario.rampStartTps", 0);
    double rampMinutes = number("scenario.rampMinutes", 0);
    double steadyStateTps = number("scenario.steadyStateTps", 1);
    double steadyStateMinutes = number("scenario.steadyStateMinutes", 1);
    Payloads payloads = new Payloads(System.getProperty("scenario.requests"));
    SigV4 signer =
        new SigV4(
            config.getString("auth.awsAccessKeyId"),
            config.getString("auth.awsSecretAccessKey"),
            config.getString("auth.awsSessionToken"),
            region);

    var invoke =
        http("SageMaker-" + endpoint)
            .post(url)
            .header("Content-Type", "application/json")
            .body(ByteArrayBody(session -> (byte[]) session.get(BODY)))
            .sign(
                (request, session) -> {
                  byte[] body = session.get(BODY);
                  for (Map.Entry<String, String> header : signer.headers(request.getUri().toUrl(), body).entrySet()) {
                    request.getHeaders().set(header.getKey(), header.getValue());
                  }
                  return request;
                })
            .check(status().is(200));

    List<OpenInjectionStep> steps = new ArrayList<>();
    if (rampMinutes > 0) {
      steps.add(rampUsersPerSec(rampStartTps).to(steadyStateTps).during(minutes(rampMinutes)));
    } else {
      steps.add(nothingFor(Duration.ofSeconds(1)));
    }
    if (steadyStateMinutes > 0) {
      steps.add(constantUsersPerSec(steadyStateTps).during(minutes(steadyStateMinutes)));
    }
    setUp(
            scenario("SageMaker")
                .exec(session -> session.set(BODY, payloads.next()))
                .exec(invoke)
                .injectOpen(steps))
        // Gatling's own warm-up (one request before the clock starts; gatling.io by default, which
        // a loopback-only run cannot reach): the target host's root, whatever it answers.
        .protocols(http.shareConnections().warmUp("https://" + host + "/"));
  }

  private static double number(String key, double fallback) {
    String raw = System.getProperty(key);
    return raw == null || raw.isBlank() ? fallback : Double.parseDouble(raw.trim());
  }

  private static Duration minutes(double minutes) {
    return Duration.ofMillis(Math.round(minutes * 60_000));
  }
}
