package sagemakersizing.gatling;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Invokes one SageMaker endpoint with an open workload: arrivals ramp from rampStartTps to
 * steadyStateTps over rampMinutes, then hold steadyStateTps for steadyStateMinutes. Each virtual
 * user sends one request; the request name in simulation.log is "SageMaker-&lt;endpoint&gt;", the
 * scenario name "SageMaker", as in sagemaker-gatling.
 */
public class SageMakerSimulation extends Simulation {
  private static final String PAYLOAD_INDEX = "payloadIndex";

  public SageMakerSimulation() {
    ScenarioSettings settings = ScenarioSettings.fromSystemProperties();
    RequestMix mix = RequestMix.load(settings.requests());
    RequestSigning signing = RequestSigning.forSettings(settings, System.getenv());

    String baseUrl = settings.baseUri().getScheme() + "://" + settings.baseUri().getRawAuthority();
    if (signing != null) {
      signing.warmUp(baseUrl + settings.invocationPath(), mix.payload(0));
    }
    HttpProtocolBuilder protocol =
        http.baseUrl(baseUrl)
            .contentTypeHeader(settings.contentType())
            .acceptHeader("application/json")
            // Keep-alive connections shared by all virtual users: one request per user would
            // otherwise open a TCP (and TLS) connection per request and measure the handshake.
            .shareConnections()
            // One unsigned GET of the host's root before the clock starts (its answer does not
            // matter): loads the HTTP stack's classes so the first arrivals are not late.
            .warmUp(baseUrl + "/")
            .disableCaching();

    HttpRequestActionBuilder invoke =
        http("SageMaker-" + settings.endpoint())
            .post(settings.invocationPath())
            .body(ByteArrayBody(session -> mix.payload(session.getInt(PAYLOAD_INDEX))))
            .check(status().is(200));
    if (signing != null) {
      invoke = invoke.sign((request, session) -> signing.sign(request, mix.payload(session.getInt(PAYLOAD_INDEX))));
    }

    ScenarioBuilder sageMaker =
        scenario("SageMaker").exec(session -> session.set(PAYLOAD_INDEX, mix.nextIndex())).exec(invoke);

    PopulationBuilder measured = sageMaker.injectOpen(injection(settings));
    if (settings.warmUpSeconds() > 0) {
      // Silent requests are not written to simulation.log: they only bring the JVM's request path
      // to compiled speed, so a high-TPS step does not measure the injector's own warm-up.
      double rate = settings.rampMinutes() > 0 ? Math.max(1, settings.rampStartTps()) : settings.steadyStateTps();
      ScenarioBuilder warmUp =
          scenario("WarmUp")
              .exec(session -> session.set(PAYLOAD_INDEX, mix.nextIndex()))
              .exec(invoke.silent());
      measured =
          warmUp
              .injectOpen(
                  rampUsersPerSec(1)
                      .to(rate)
                      .during(Duration.ofMillis(Math.round(settings.warmUpSeconds() * 1000))))
              .andThen(measured);
    }
    setUp(measured).protocols(protocol);
    // Last: everything above (settings, payloads, signing warm-up) is done before the wait.
    StartInstant.await(System.getProperty(StartInstant.PROPERTY));
  }

  static List<OpenInjectionStep> injection(ScenarioSettings s) {
    List<OpenInjectionStep> steps = new ArrayList<>();
    if (s.rampMinutes() == 0) {
      // As sagemaker-gatling does without a ramp: one idle second first, which also lets the
      // freshly started JVM settle so the first arrivals of a steady load are on time.
      steps.add(nothingFor(Duration.ofSeconds(1)));
    }
    if (s.rampMinutes() > 0) {
      steps.add(rampUsersPerSec(s.rampStartTps()).to(s.steadyStateTps()).during(ScenarioSettings.minutes(s.rampMinutes())));
    }
    if (s.steadyStateMinutes() > 0) {
      steps.add(constantUsersPerSec(s.steadyStateTps()).during(ScenarioSettings.minutes(s.steadyStateMinutes())));
    }
    return steps;
  }
}
