package sagemakersizing.gatling;

import io.gatling.http.client.Request;
import java.net.URI;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * SigV4 signing of invocations with the AWS SDK's signer (service "sagemaker").
 *
 * <p>https hosts are always signed, with credentials from the SDK's default provider chain. http
 * hosts (the local emulator) are signed only when AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set.
 * Credentials are never read from -D properties: those show in process lists and logs.
 */
public final class RequestSigning {
  private static final String SERVICE = "sagemaker";
  private final AwsCredentialsProvider credentials;
  private final String region;
  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

  private RequestSigning(AwsCredentialsProvider credentials, String region) {
    this.credentials = credentials;
    this.region = region;
  }

  /** The signing for a target, or null when its requests go out unsigned. */
  public static RequestSigning forSettings(ScenarioSettings settings, Map<String, String> env) {
    if (settings.isHttps()) {
      return new RequestSigning(DefaultCredentialsProvider.builder().build(), settings.region());
    }
    if (present(env.get("AWS_ACCESS_KEY_ID")) && present(env.get("AWS_SECRET_ACCESS_KEY"))) {
      return new RequestSigning(EnvironmentVariableCredentialsProvider.create(), settings.region());
    }
    return null;
  }

  /** Resolves credentials now, so a run without any fails before it starts. */
  public void checkCredentials() {
    try {
      credentials.resolveCredentials();
    } catch (RuntimeException e) {
      throw new SettingsException(
          "no AWS credentials for signing (environment or default provider chain): "
              + ScenarioSettings.oneLine(e.getMessage()));
    }
  }

  /** Signs a throw-away request, so the SDK's classes load before the load starts, not during. */
  public void warmUp(String url, byte[] body) {
    for (int i = 0; i < 200; i++) {
      signHeaders(URI.create(url), body);
    }
  }

  /** Adds Authorization, X-Amz-Date (and X-Amz-Security-Token) to a Gatling request. */
  public Request sign(Request request, byte[] body) {
    SignedRequest signed = signHeaders(URI.create(request.getUri().toUrl()), body);
    for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
      // Gatling writes Host itself, the same value the signer signed (host[:non-default port]).
      if (!header.getKey().equalsIgnoreCase("Host")) {
        request.getHeaders().set(header.getKey(), header.getValue().get(0));
      }
    }
    return request;
  }

  private SignedRequest signHeaders(URI uri, byte[] body) {
    SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri).build();
    return
        signer.sign(
            r ->
                r.identity(credentials.resolveCredentials())
                    .request(unsigned)
                    .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region));
  }

  private static boolean present(String value) {
    return value != null && !value.isBlank();
  }
}
