package standin;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SigV4 as intuit's AuthHelper signs: service {@code sagemaker}, POST to
 * {@code /endpoints/<endpoint>/invocations}, canonical host the configured {@code sagemaker.host}
 * string, signed headers exactly {@code host;x-amz-date;x-amz-security-token}, the payload's
 * SHA-256 (of its bytes in the JVM's default charset, as intuit's hashes {@code text.getBytes};
 * Gatling sends it in UTF-8) and no x-amz-content-sha256 header. Written out by hand, not with
 * the AWS SDK, so the local runtime's verifier is checked against an independent implementation.
 */
public final class SigV4 {
  private static final String SERVICE = "sagemaker";
  private static final String SIGNED_HEADERS = "host;x-amz-date;x-amz-security-token";

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

  /** The Authorization header of a POST of payload to endpoint on host, dated amzDate. */
  public String authorization(String host, String endpoint, String payload, String amzDate) {
    String date = amzDate.substring(0, 8);
    String canonical =
        "POST\n/endpoints/" + endpoint + "/invocations\n\n"
            + "host:" + host + "\nx-amz-date:" + amzDate + "\nx-amz-security-token:" + sessionToken + "\n\n"
            + SIGNED_HEADERS + "\n"
            + hex(sha256(payload.getBytes()));
    String scope = date + "/" + region + "/" + SERVICE + "/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.getBytes()));
    byte[] key = ("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, region, SERVICE, "aws4_request"}) {
      key = hmac(key, part);
    }
    return "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + SIGNED_HEADERS
        + ", Signature=" + hex(hmac(key, toSign));
  }

  private static String hex(byte[] bytes) {
    return String.format("%064x", new BigInteger(1, bytes));
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
