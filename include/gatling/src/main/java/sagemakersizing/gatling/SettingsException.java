package sagemakersizing.gatling;

/** A run that cannot happen: its message is the one-line reason printed before exiting non-zero. */
public final class SettingsException extends RuntimeException {
  public SettingsException(String message) {
    super(message);
  }
}
