// DynamoDB Local bound to loopback only (docs/commands.md: the local stack listens on loopback).
// DynamoDB Local has no host option: its Jetty server binds every interface. This launcher builds
// the server exactly as DynamoDBLocal.jar's own main does, then sets its connectors' host to
// 127.0.0.1 before starting it. Run in source-file mode (`java -cp <jar>:<lib>/* THIS_FILE args`).
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
