package sagemakersizing.gatling;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * {@code java -XX:ArchiveClassesAtExit=JSA -jar jar --cds-training DIR}: a short run against an
 * in-process loopback server, so the JVM records every class a load step uses into a class-data
 * sharing archive. Steps started with {@code -XX:SharedArchiveFile=JSA} then skip most class
 * loading (about 1-2 s of JVM start-up on this project's machine). Used by scripts/setup.sh.
 */
final class CdsTraining {
  private CdsTraining() {}

  static String[] prepare(Path dir) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          byte[] body = "{}".getBytes();
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> daemon(r)));
    server.start();
    Files.createDirectories(dir);
    Path payload = dir.resolve("payload.json");
    Files.writeString(payload, "{\"instances\": [1]}");
    System.setProperty("sagemaker.host", "http://127.0.0.1:" + server.getAddress().getPort());
    System.setProperty("sagemaker.endpoint", "cds-training");
    System.setProperty("scenario.steadyStateTps", "50");
    System.setProperty("scenario.steadyStateMinutes", "0.05");
    System.setProperty("scenario.warmUpSeconds", "1");
    System.setProperty("scenario.requests", "[{\"path\": \"" + payload.toString().replace("\\", "\\\\") + "\", \"weight\": 100}]");
    System.setProperty("gatling.core.outputDirectoryBaseName", "cds-training");
    return new String[] {"-s", Launcher.SCENARIO, "-rf", dir.resolve("results").toString()};
  }

  private static Thread daemon(Runnable runnable) {
    Thread thread = new Thread(runnable, "cds-training-server");
    thread.setDaemon(true);
    return thread;
  }
}
