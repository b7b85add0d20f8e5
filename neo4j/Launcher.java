/*
 * Starts Neo4j 5.26 Community embedded with its Bolt connector, for machines without Docker.
 *
 * Run in single-file mode with the classpath that `mvn dependency:build-classpath` resolves
 * from neo4j/pom.xml (scripts/neo4j-local does all of this):
 *
 *   java -Xmx2g -cp "$(cat cp.txt)" neo4j/Launcher.java --home .neo4j/data --port 0 \
 *        --uri-file .neo4j/uri
 *
 * Options:
 *   --home DIR        Neo4j home; databases and transaction logs live under DIR/data (required)
 *   --host HOST       Bolt listen host (default 127.0.0.1; never 0.0.0.0 by default)
 *   --port N          Bolt port; 0 (the default) picks a free one
 *   --uri-file FILE   written with "bolt://HOST:PORT" once Bolt accepts connections
 *   --pagecache SIZE  page cache, e.g. 1g or 512m (default 1g)
 *   --no-auth         disable authentication (default: auth on, user neo4j)
 *
 * Environment: NEO4J_PASSWORD sets the neo4j user's password (default "graphmatch-test").
 * The process runs until SIGTERM/SIGINT; a shutdown hook stops the DBMS cleanly so the store
 * is consistent on the next start.
 */

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {

    private static final String DEFAULT_PASSWORD = "graphmatch-test";

    public static void main(String[] args) throws Exception {
        Path home = null;
        String host = "127.0.0.1";
        int port = 0;
        Path uriFile = null;
        long pageCache = parseSize("1g");
        boolean auth = true;

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home" -> home = Path.of(need(args, ++i, a));
                case "--host" -> host = need(args, ++i, a);
                case "--port" -> port = Integer.parseInt(need(args, ++i, a));
                case "--uri-file" -> uriFile = Path.of(need(args, ++i, a));
                case "--pagecache" -> pageCache = parseSize(need(args, ++i, a));
                case "--no-auth" -> auth = false;
                default -> fail("unknown option " + a);
            }
        }
        if (home == null) {
            fail("--home DIR is required");
        }
        if (port == 0) {
            port = freePort(host);
        }
        String password = System.getenv().getOrDefault("NEO4J_PASSWORD", DEFAULT_PASSWORD);
        if (auth && password.length() < 8) {
            // Neo4j 5 rejects passwords shorter than 8 characters; say so before starting.
            fail("NEO4J_PASSWORD must be at least 8 characters");
        }

        Files.createDirectories(home);
        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home.toAbsolutePath())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                // Advertised address is what a neo4j:// routing driver is told to connect to.
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                // Sized for a 2-core / 24 GiB box: cap what all transactions may hold at once.
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, parseSize("1g"))
                // A safety net for runaway queries; clients set tighter per-query timeouts.
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(5))
                // Local dev/test data: keep transaction logs small and do not preallocate.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, parseSize("64m"))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Internal settings (pinned version): by default Bolt waits ~10 s of quiet
                // period on shutdown; a local test server should stop in about a second.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("graphmatch-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("graphmatch-neo4j: stopped");
            stopped.countDown();
        }, "neo4j-shutdown"));

        try {
            if (auth) {
                setPassword(dbms, home.resolve("password.sha256"), password);
            }
            // Touch the default database so a first-start failure surfaces here, not on the
            // first client query.
            dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        } catch (Exception e) {
            // Neo4j's own threads would keep the JVM alive; exit so the start script sees it.
            e.printStackTrace();
            System.err.println("graphmatch-neo4j: start-up failed: " + e.getMessage());
            System.exit(1);
        }

        String uri = "bolt://" + host + ":" + port;
        if (uriFile != null) {
            // Write atomically so a reader never sees a half-written URI.
            Path tmp = uriFile.resolveSibling(uriFile.getFileName() + ".tmp");
            Files.writeString(tmp, uri + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, uriFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.printf("graphmatch-neo4j: Bolt listening on %s (auth %s, home %s) after %.1f s%n",
                uri, auth ? "on" : "off", home.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        System.out.flush();
        stopped.await();
    }

    private static void setPassword(DatabaseManagementService dbms, Path marker, String password)
            throws Exception {
        // Skip the (slow on a cold JVM, ~5 s) admin command when this password was already
        // set on an earlier start; only its hash is kept, next to the data.
        String digest = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(marker) && Files.readString(marker).trim().equals(digest)) {
            return;
        }
        // Embedded Neo4j creates user neo4j with the default password "neo4j" and a forced
        // change. Set the configured one on every start so Bolt clients can log in right away
        // and a changed NEO4J_PASSWORD takes effect. The embedded API runs with full
        // privileges on the system database, so ALTER USER needs no login.
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // Already set on an earlier start: Neo4j refuses to "change" to the same password.
            if (e.getMessage() == null || !e.getMessage().contains("cannot be the same")) {
                throw e;
            }
        }
        Files.writeString(marker, digest + "\n", StandardCharsets.UTF_8);
    }

    private static String need(String[] args, int i, String opt) {
        if (i >= args.length) {
            fail(opt + " needs a value");
        }
        return args[i];
    }

    private static long parseSize(String s) {
        String t = s.trim().toLowerCase();
        long mult = 1;
        char last = t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            mult = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mult;
    }

    private static int freePort(String host) throws IOException {
        // Small race (another process could take it before Neo4j binds); acceptable for a
        // local dev server, and the start script fails readably if it happens.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    private static void fail(String msg) {
        System.err.println("graphmatch-neo4j: " + msg);
        System.exit(2);
    }
}
