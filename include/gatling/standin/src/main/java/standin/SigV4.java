package standin;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SigV4 as intuit's sagemaker-gatling signs: service {@code sagemaker}, signed headers exactly
 * {@code host;x-amz-date;x-amz-security-token}, the body's SHA-256 in the canonical request (no
 * x-amz-content-sha256 header). Written out by hand, not with the AWS SDK, so the local
 * runtime's verifier is checked against a second, independent implementation.
 */
public final class SigV4 {
  private static final String SERVICE = "sagemaker";
  private static final String SIGNED_HEADERS = "host;x-amz-date;x-amz-security-token";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final HexFormat HEX = HexFormat.of();

  private final String accessKey;
  private final String secretKey;
  private final String sessionToken;
  private final String region;

  public SigV4(String accessKey, String secretKey, String sessionToken, String region) {
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.sessionToken = sessionToken;
    this.region = region;
  }

  /** The headers to add (X-Amz-Date, X-Amz-Security-Token, Authorization) for a POST of body to url. */
  public Map<String, String> headers(String url, byte[] body) {
    URI uri = URI.create(url);
    String host = uri.getHost() + (uri.getPort() == -1 || uri.getPort() == 443 ? "" : ":" + uri.getPort());
    String amzDate = ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
    String date = amzDate.substring(0, 8);
    String canonical =
        String.join(
            "\n",
            "POST",
            uri.getRawPath(),
            uri.getRawQuery() == null ? "" : uri.getRawQuery(),
            "host:" + host + "\nx-amz-date:" + amzDate + "\nx-amz-security-token:" + sessionToken + "\n",
            SIGNED_HEADERS,
            HEX.formatHex(sha256(body)));
    String scope = date + "/" + region + "/" + SERVICE + "/aws4_request";
    String toSign =
        String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, HEX.formatHex(sha256(canonical.getBytes(StandardCharsets.UTF_8))));
    byte[] key = ("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, region, SERVICE, "aws4_request"}) {
      key = hmac(key, part);
    }
    String signature = HEX.formatHex(hmac(key, toSign));
    Map<String, String> out = new LinkedHashMap<>();
    out.put("X-Amz-Date", amzDate);
    out.put("X-Amz-Security-Token", sessionToken);
    out.put(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + SIGNED_HEADERS
            + ", Signature=" + signature);
    return out;
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
