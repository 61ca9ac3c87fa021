package sagemakersizing.gatling;

/**
 * The instant a step's injectors start together ({@code -Dscenario.startAtEpochMs}, set by the
 * task that makes the commands). Each injector waits for it once its JVM is up and its HTTP path
 * warmed, so JVM start-up and task pick-up times on different workers do not skew the load.
 */
final class StartInstant {
  static final String PROPERTY = "scenario.startAtEpochMs";

  private StartInstant() {}

  /** Sleeps until the instant, if one is set and still ahead; returns the milliseconds waited. */
  static long await(String raw) {
    if (raw == null || raw.isBlank()) {
      return 0;
    }
    long startAt;
    try {
      startAt = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw new SettingsException(PROPERTY + ": expected epoch milliseconds, got '" + raw + "'");
    }
    long waited = 0;
    long delay;
    while ((delay = startAt - System.currentTimeMillis()) > 0) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      waited += delay;
    }
    if (delay < 0) {
      System.err.println("start instant passed " + (-delay) + " ms before this injector was ready");
    } else {
      System.err.println("waited " + waited + " ms for the step's start instant");
    }
    return waited;
  }
}
